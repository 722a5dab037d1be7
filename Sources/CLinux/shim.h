// Linux system calls that Glibc's Swift overlay does not expose: epoll, eventfd, accept4, mallinfo2, malloc_trim.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <malloc.h>

/// accept4 with non-blocking, close-on-exec descriptors (a GNU extension Swift does not see).
static inline int clinux_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/// Names the calling thread (prctl is variadic, so Swift cannot call it directly).
static inline void clinux_set_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif
