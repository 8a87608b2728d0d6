/* Declarations only: the library is opened with dlopen (LibCurl.swift), never linked. */
#include <curl/curl.h>

/* curl_easy_setopt is variadic, which Swift cannot call: one typed call per argument kind,
   through the address dlsym found for it. */
typedef CURLcode (*gh_curl_setopt_fn)(CURL *, CURLoption, ...);

static inline CURLcode gh_curl_setopt_long(void *setopt, CURL *curl, CURLoption option, long value) {
    return ((gh_curl_setopt_fn)setopt)(curl, option, value);
}
static inline CURLcode gh_curl_setopt_string(void *setopt, CURL *curl, CURLoption option, const char *value) {
    return ((gh_curl_setopt_fn)setopt)(curl, option, value);
}
static inline CURLcode gh_curl_setopt_pointer(void *setopt, CURL *curl, CURLoption option, void *value) {
    return ((gh_curl_setopt_fn)setopt)(curl, option, value);
}
static inline CURLcode gh_curl_setopt_read(void *setopt, CURL *curl, curl_read_callback callback) {
    return ((gh_curl_setopt_fn)setopt)(curl, CURLOPT_READFUNCTION, callback);
}
