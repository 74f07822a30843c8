# Writes OUTPUT, a C++ file holding every file of the page folder INPUT_DIR as
# bytes, so gigent-server carries its page with no files to install next to
# it. Run at build time (cmake -P) whenever a page file changes. Bytes, not a
# string literal: a raw literal would break on a file containing its own
# delimiter and on compilers' literal length limits.
file(GLOB page_files RELATIVE ${INPUT_DIR} ${INPUT_DIR}/*.html ${INPUT_DIR}/*.js ${INPUT_DIR}/*.css)
list(SORT page_files)
set(body "// Generated from src/server/web by embed.cmake; edit those files instead.\n")
string(APPEND body "#include \"server/web_page.h\"\n\nnamespace gigent::server {\nnamespace {\n")
set(index 0)
set(entries "")
foreach(name ${page_files})
  file(READ ${INPUT_DIR}/${name} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n"
         bytes "${bytes}")
  string(APPEND body "const unsigned char kFile${index}[] = {\n${bytes}};\n")
  string(APPEND entries "      {\"${name}\", std::string_view(reinterpret_cast<const char*>(kFile${index}), sizeof kFile${index})},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nconst std::vector<WebFile>& embedded_web_files() {\n")
string(APPEND body "  static const std::vector<WebFile> files = {\n${entries}  };\n  return files;\n}\n\n")
string(APPEND body "}  // namespace gigent::server\n")
file(WRITE ${OUTPUT}.tmp "${body}")
# Rewritten only when different, so an unchanged page never rebuilds the server.
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
