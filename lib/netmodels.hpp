/* netmodels.hpp - the C++ face of the C API: write a class with
 *     int handle(const nm_request &req, nm::Response &res);
 * and run it with nm::run<App>("epoll", cfg, app). No exceptions, no RTTI,
 * no allocation: a thin inline layer over netmodels.h. */
#ifndef NETMODELS_HPP
#define NETMODELS_HPP

#include "netmodels.h"
#include <string.h>

namespace nm {

/* The request's views as a (pointer, length) pair with a comparison. */
inline bool equals(nm_slice s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

/* Case-insensitive lookup of a request header; an empty slice if absent. */
inline nm_slice header(const nm_request &req, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < req.header_count; i++) {
        const nm_slice &h = req.headers[i].name;
        if (h.n != n) continue;
        size_t k = 0;
        for (; k < n; k++) {
            char a = h.p[k], b = name[k];
            if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z') b = (char)(b + 32);
            if (a != b) break;
        }
        if (k == n) return req.headers[i].value;
    }
    nm_slice none = { 0, 0 };
    return none;
}

class Response {
public:
    explicit Response(nm_response *r) : r_(r) {}
    int status(int code) { return nm_resp_status(r_, code); }
    int header(const char *name, const char *value) { return nm_resp_header(r_, name, value); }
    int body(const void *data, size_t len) { return nm_resp_body(r_, data, len); }
    int body(const char *text) { return nm_resp_body(r_, text, strlen(text)); }
    int body_static(const void *data, size_t len) { return nm_resp_body_static(r_, data, len); }

private:
    nm_response *r_;
};

template <class App> int dispatch(const nm_request *req, nm_response *res, void *user)
{
    Response r(res);
    return static_cast<App *>(user)->handle(*req, r);
}

/* The server's loop runs a member function of an object of yours, no
 * allocation, no capture: nm::every<App, &App::tick>(srv, 1000, app),
 * nm::watch<App, &App::on_uart>(srv, fd, NM_EV_READ, app),
 * nm::post<App, &App::reload>(srv, app) (any thread). Each returns what the
 * C call does (netmodels.h). */
template <class T, void (T::*M)(const nm_server *)> void call(const nm_server *srv, void *obj)
{
    (static_cast<T *>(obj)->*M)(srv);
}
template <class T, void (T::*M)(const nm_server *, int, int)> void io(const nm_server *srv, int fd, int events, void *obj)
{
    (static_cast<T *>(obj)->*M)(srv, fd, events);
}
template <class T, void (T::*M)(const nm_server *)> int every(const nm_server *srv, unsigned ms, T &obj)
{
    return nm_timer_start(srv, ms, 1, &call<T, M>, &obj);
}
template <class T, void (T::*M)(const nm_server *)> int after(const nm_server *srv, unsigned ms, T &obj)
{
    return nm_timer_start(srv, ms, 0, &call<T, M>, &obj);
}
template <class T, void (T::*M)(const nm_server *, int, int)> int watch(const nm_server *srv, int fd, int events, T &obj)
{
    return nm_watch(srv, fd, events, &io<T, M>, &obj);
}
template <class T, void (T::*M)(const nm_server *)> int post(const nm_server *srv, T &obj)
{
    return nm_post(srv, &call<T, M>, &obj);
}
inline int send(const nm_server *srv, nm_conn_id to, const char *text) { return nm_send(srv, to, text, strlen(text)); }

/* Run `app` under `model`; returns what nm_run returns. */
template <class App> int run(const char *model, const nm_config &cfg, App &app)
{
    nm_handler h = { &dispatch<App>, &app };
    return nm_run(model, &cfg, &h);
}

} // namespace nm

#endif
