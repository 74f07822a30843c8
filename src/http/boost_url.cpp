// Boost.URL's compiled part. Debian ships Boost.URL as headers only (no
// libboost_url), and the library documents this one-translation-unit include
// as the way to build it into a program.
#include <boost/url/src.hpp>
