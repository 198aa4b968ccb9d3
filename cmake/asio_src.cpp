// The one translation unit that compiles Boost.Asio (separate compilation).
#include <boost/asio/impl/src.hpp>
