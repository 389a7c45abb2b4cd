// A userspace ICMP/ICMPv6 echo responder for probe tests (the kernel here has no netem).
// Runs inside a network namespace with net.ipv4.icmp_echo_ignore_all=1 and
// net.ipv6.icmp.echo_ignore_all=1, answers every echo request addressed to the namespace
// (any number of addresses: route a /16 there as `local`) after --delay-ms, and drops a
// seeded fraction --loss of them (--duplicate 1 sends every answer twice). On SIGUSR1 (and on exit) it writes its own counts to
// --stats: "received N\ndropped N\nanswered N\n", written to a temp file and renamed.
// --loss-schedule "N:F,N:F,…" switches loss on and off by request count, independent of time:
// the first N requests are dropped with fraction F, the next N' with F', …, then --loss
// applies (with F 0 or 1 an episode is exact: 3 rounds of 5 pings lost is "…,15:1,…").
// Build: gcc -O2 -o echo-responder echo-responder.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 65536
#define MAXPKT 2048

struct pending {
    int64_t due;  // CLOCK_REALTIME ns (the kernel receive stamp + delay)
    int v6;
    size_t len;
    struct sockaddr_in6 to;     // or sockaddr_in
    struct in6_addr from6;      // v6: the address the request was sent to
    unsigned char packet[MAXPKT];
};

static struct pending *queue;
static size_t head, count;
static volatile sig_atomic_t dump_requested, stop_requested;
static uint64_t received, dropped, answered, rng;
static const char *stats_path;
static double loss_fraction;
static int duplicate;  // --duplicate 1: every answer is sent twice
#define MAX_SEGMENTS 256
static uint64_t segment_requests[MAX_SEGMENTS];  // --loss-schedule: requests per segment
static double segment_loss[MAX_SEGMENTS];
static int segments;

// The loss fraction for the request numbered `index` (0-based, in arrival order).
static double loss_for(uint64_t index) {
    for (int i = 0; i < segments; i++) {
        if (index < segment_requests[i]) return segment_loss[i];
        index -= segment_requests[i];
    }
    return loss_fraction;
}

// "N:F,N:F,…"; returns 0 when the text is not such a list.
static int parse_schedule(const char *text) {
    while (*text && segments < MAX_SEGMENTS) {
        char *end;
        unsigned long long count = strtoull(text, &end, 10);
        if (end == text || *end != ':') return 0;
        text = end + 1;
        double fraction = strtod(text, &end);
        if (end == text) return 0;
        segment_requests[segments] = count;
        segment_loss[segments++] = fraction;
        text = end;
        if (*text == ',') text++;
        else if (*text) return 0;
    }
    return *text == 0;
}

static int64_t now_real(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// xorshift64*: the drop sequence depends only on the seed and the order of requests.
static double next_random(void) {
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static uint16_t checksum(const void *data, size_t len) {
    const uint8_t *bytes = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)bytes[i] << 8 | bytes[i + 1];
    if (len & 1) sum += (uint32_t)bytes[len - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

static void write_stats(void) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "received %llu\ndropped %llu\nanswered %llu\n", (unsigned long long)received,
            (unsigned long long)dropped, (unsigned long long)answered);
    fclose(f);
    rename(tmp, stats_path);
}

static void on_signal(int sig) {
    if (sig == SIGUSR1) dump_requested = 1; else stop_requested = 1;
}

static int64_t kernel_stamp(struct msghdr *msg, struct in6_addr *dst6) {
    int64_t stamp = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        } else if (dst6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            *dst6 = info.ipi6_addr;
        }
    }
    return stamp ? stamp : now_real();
}

static void receive(int fd, int v6, int64_t delay) {
    for (;;) {
        struct pending *p = &queue[(head + count) % QUEUE];
        unsigned char buf[MAXPKT];
        char control[512];
        struct iovec iov = { buf, sizeof buf };
        struct msghdr msg = { .msg_name = &p->to, .msg_namelen = sizeof p->to, .msg_iov = &iov,
                              .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0) return;
        int64_t stamp = kernel_stamp(&msg, v6 ? &p->from6 : NULL);
        if (!v6) {
            struct ip *ip = (struct ip *)buf;
            size_t hl = (size_t)ip->ip_hl * 4;
            if ((size_t)n < hl + 8 || buf[hl] != ICMP_ECHO) continue;
            received++;
            // Reply: swap addresses, echo reply, fresh checksums (IP_HDRINCL keeps our source).
            struct in_addr src = ip->ip_src;
            ip->ip_src = ip->ip_dst;
            ip->ip_dst = src;
            ip->ip_ttl = 64;
            ip->ip_sum = 0;
            buf[hl] = ICMP_ECHOREPLY;
            buf[hl + 2] = buf[hl + 3] = 0;
            uint16_t sum = checksum(buf + hl, (size_t)n - hl);
            memcpy(buf + hl + 2, &sum, 2);
        } else {
            if (n < 8 || buf[0] != ICMP6_ECHO_REQUEST) continue;
            received++;
            buf[0] = ICMP6_ECHO_REPLY;
            buf[2] = buf[3] = 0;  // the kernel computes ICMPv6 checksums
        }
        if (next_random() < loss_for(received - 1)) { dropped++; continue; }
        if (count == QUEUE) { dropped++; continue; }
        p->v6 = v6;
        p->len = (size_t)n;
        p->due = stamp + delay;
        memcpy(p->packet, buf, (size_t)n);
        count++;
        if (duplicate && count < QUEUE) {
            struct pending *copy = &queue[(head + count) % QUEUE];
            memcpy(copy, p, sizeof *copy);
            count++;
        }
    }
}

int main(int argc, char **argv) {
    double delay_ms = 0, loss = 0;
    unsigned long long seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--delay-ms")) delay_ms = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--loss")) loss = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--stats")) stats_path = argv[i + 1];
        else if (!strcmp(argv[i], "--duplicate")) duplicate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--loss-schedule") && !parse_schedule(argv[i + 1])) {
            fprintf(stderr, "--loss-schedule: expected N:F,N:F,... (requests:fraction)\n");
            return 2;
        }
    }
    if (!stats_path) { fprintf(stderr, "usage: %s --stats FILE [--delay-ms D] [--loss F] [--seed S]\n", argv[0]); return 2; }
    rng = seed ? seed : 1;
    loss_fraction = loss;
    queue = calloc(QUEUE, sizeof *queue);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    int on = 1;
    int fd4 = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    int fd6 = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
    if (fd4 < 0 || fd6 < 0) { perror("socket"); return 1; }
    setsockopt(fd4, IPPROTO_IP, IP_HDRINCL, &on, sizeof on);
    setsockopt(fd4, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    setsockopt(fd6, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    setsockopt(fd6, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    int size = 8 << 20;
    setsockopt(fd4, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &filter);
    setsockopt(fd6, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t unblock;  // a parent may have blocked them (the mask is inherited)
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    sigaddset(&unblock, SIGTERM);
    sigaddset(&unblock, SIGINT);
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
    int64_t delay = (int64_t)(delay_ms * 1e6);
    write_stats();
    printf("ready\n");
    fflush(stdout);
    while (!stop_requested) {
        if (dump_requested) { dump_requested = 0; write_stats(); }
        struct pollfd fds[2] = { { fd4, POLLIN, 0 }, { fd6, POLLIN, 0 } };
        struct timespec wait = { 1, 0 };
        if (count) {
            int64_t left = queue[head].due - now_real();
            if (left < 0) left = 0;
            wait.tv_sec = left / 1000000000;
            wait.tv_nsec = left % 1000000000;
        }
        int ready = ppoll(fds, 2, &wait, NULL);
        if (ready > 0) {
            if (fds[0].revents & POLLIN) receive(fd4, 0, delay);
            if (fds[1].revents & POLLIN) receive(fd6, 1, delay);
        }
        int64_t now = now_real();
        while (count && queue[head].due <= now) {
            struct pending *p = &queue[head];
            if (p->v6) {
                char control[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
                struct iovec iov = { p->packet, p->len };
                struct msghdr msg = { .msg_name = &p->to, .msg_namelen = sizeof p->to, .msg_iov = &iov,
                                      .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
                struct in6_pktinfo info = { .ipi6_addr = p->from6 };
                memcpy(CMSG_DATA(c), &info, sizeof info);
                if (sendmsg(fd6, &msg, 0) > 0) answered++;
            } else {
                struct sockaddr_in *to = (struct sockaddr_in *)&p->to;
                if (sendto(fd4, p->packet, p->len, 0, (struct sockaddr *)to, sizeof *to) > 0) answered++;
            }
            head = (head + 1) % QUEUE;
            count--;
        }
    }
    write_stats();
    return 0;
}
