/* The bench's WebSocket clients in C: N RFC 6455 clients on one epoll loop, as cheap on the CPU as a client
 * can be, because on this bench they share the machine's cores with the pipeline they measure (remote
 * clients would not). Each one opens the connection with the HTTP upgrade (checking Sec-WebSocket-Accept),
 * waits for the server's hello, then reads frames: it answers pings and close frames, and notes the stream,
 * frame number and arrival time (CLOCK_MONOTONIC, the clock of Node's process.hrtime) of each detections
 * event. Built and driven by wsClientsC.ts; the `ws`-based clients (wsClientsProcess.ts) remain the fallback.
 *
 *   ws-bench-clients HOST PORT PATH N
 *   stdout once all N have their hello: "connected N"   (or "error MESSAGE" and exit 1)
 *   stdin "report" -> stdout "received R O"             (R detections events, O other messages, so far)
 *   stdin "close"  -> stdout "s IDX STREAM_ID_AS_IN_JSON" per stream, "r IDX FRAME MS" per event,
 *                     then "end R O CPU_MS LOST", exit 0  (CPU_MS: user + system since connected;
 *                     LOST: connections the server closed or dropped during the run)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { HANDSHAKE, AWAIT_HELLO, OPEN, CLOSED };

typedef struct {
  int fd;
  int state;
  char accept[32]; /* the Sec-WebSocket-Accept the server must answer with */
  unsigned char *buf;
  size_t len, cap;
  /* a fragmented message: its head, parsed from the first fragment, is noted when the last one arrives */
  int frag_open, frag_stream;
  long long frag_frame;
} Conn;

typedef struct {
  int stream;
  long long frame;
  double ms;
} Record;

static Conn *conns;
static int n_conns;
static Record *records;
static size_t n_records, cap_records;
static long long other_msgs;
static int lost;
static char *streams[4096];
static int n_streams;
static const char EVENT_HEAD[] = "{\"schemaVersion\":1,\"type\":\"detections\",\"streamId\":\"";
static const char FRAME_KEY[] = "\",\"frameNumber\":";

static void fail(const char *what) {
  printf("error %s\n", what);
  fflush(stdout);
  exit(1);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- SHA-1 and base64, for the handshake's Sec-WebSocket-Accept ---- */
static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const unsigned char *msg, size_t len, unsigned char out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  size_t total = ((len + 8) / 64 + 1) * 64;
  unsigned char *m = calloc(total, 1);
  memcpy(m, msg, len);
  m[len] = 0x80;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) m[total - 1 - i] = (unsigned char)(bits >> (8 * i));
  for (size_t off = 0; off < total; off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 | (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  free(m);
  for (int i = 0; i < 20; i++) out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const unsigned char *in, size_t len, char *out) {
  static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
    out[o++] = T[v >> 18 & 63];
    out[o++] = T[v >> 12 & 63];
    out[o++] = i + 1 < len ? T[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? T[v & 63] : '=';
  }
  out[o] = 0;
}

/* ---- writing (client frames are masked) ---- */
static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the read side notices a dead connection */
    c += w, n -= (size_t)w;
  }
}

static void send_frame(Conn *c, int opcode, const unsigned char *payload, size_t len) {
  unsigned char f[2 + 4 + 125];
  if (len > 125) len = 125; /* control frames only */
  uint32_t key = (uint32_t)rand();
  f[0] = (unsigned char)(0x80 | opcode);
  f[1] = (unsigned char)(0x80 | len);
  memcpy(f + 2, &key, 4);
  for (size_t i = 0; i < len; i++) f[6 + i] = payload[i] ^ f[2 + i % 4];
  send_all(c->fd, f, 6 + len);
}

static void close_conn(Conn *c) {
  if (c->state == CLOSED) return;
  close(c->fd);
  c->state = CLOSED;
}

/* ---- reading ---- */
static int intern_stream(const char *s, size_t n) {
  for (int i = 0; i < n_streams; i++)
    if (strlen(streams[i]) == n && memcmp(streams[i], s, n) == 0) return i;
  if (n_streams == (int)(sizeof streams / sizeof *streams)) return -1;
  streams[n_streams] = strndup(s, n);
  return n_streams++;
}

/* The event's stream and frame number from the head of its JSON, as wsClientsProcess.ts reads them. */
static int parse_head(const unsigned char *p, size_t n, int *stream, long long *frame) {
  size_t h = sizeof EVENT_HEAD - 1, k = sizeof FRAME_KEY - 1;
  if (n < h || memcmp(p, EVENT_HEAD, h) != 0) return 0;
  size_t i = h;
  while (i < n && p[i] != '"') i += p[i] == '\\' ? 2 : 1;
  if (i >= n || n - i < k || memcmp(p + i, FRAME_KEY, k) != 0) return 0;
  size_t j = i + k;
  if (j >= n || p[j] < '0' || p[j] > '9') return 0;
  long long f = 0;
  while (j < n && p[j] >= '0' && p[j] <= '9') f = f * 10 + (p[j++] - '0');
  int s = intern_stream((const char *)p + h, i - h);
  if (s < 0) return 0;
  *stream = s, *frame = f;
  return 1;
}

static void note_event(int stream, long long frame, double at) {
  if (n_records == cap_records) {
    cap_records = cap_records ? cap_records * 2 : 65536;
    records = realloc(records, cap_records * sizeof *records);
    if (!records) fail("out of memory");
  }
  records[n_records++] = (Record){stream, frame, at};
}

static int connected_count;

static void on_message(Conn *c, const unsigned char *p, size_t n, double at, int fin, int continuation) {
  if (c->state == AWAIT_HELLO) { /* the first message is the server's hello */
    if (fin) c->state = OPEN, connected_count++;
    return;
  }
  int s = -1;
  long long f = 0;
  if (!continuation) {
    int ok = parse_head(p, n, &s, &f);
    if (!fin) {
      c->frag_open = ok ? 1 : -1, c->frag_stream = s, c->frag_frame = f;
      return;
    }
    if (ok) note_event(s, f, at);
    else other_msgs++;
  } else if (fin) {
    if (c->frag_open == 1) note_event(c->frag_stream, c->frag_frame, at);
    else other_msgs++;
    c->frag_open = 0;
  }
}

/* Consumes the complete frames in c->buf. */
static void parse_frames(Conn *c, double at) {
  size_t off = 0;
  while (c->state != CLOSED && c->len - off >= 2) {
    unsigned char *b = c->buf + off;
    int fin = b[0] & 0x80, opcode = b[0] & 0x0f;
    uint64_t plen = b[1] & 0x7f;
    size_t hdr = 2;
    if (plen == 126) {
      if (c->len - off < 4) break;
      plen = (uint64_t)b[2] << 8 | b[3], hdr = 4;
    } else if (plen == 127) {
      if (c->len - off < 10) break;
      plen = 0;
      for (int i = 0; i < 8; i++) plen = plen << 8 | b[2 + i];
      hdr = 10;
    }
    if (b[1] & 0x80) hdr += 4; /* a server must not mask; tolerated */
    if (c->len - off < hdr + plen) break;
    const unsigned char *payload = b + hdr;
    if (opcode == 1 || opcode == 2) on_message(c, payload, plen, at, fin, 0);
    else if (opcode == 0) on_message(c, payload, plen, at, fin, 1);
    else if (opcode == 9) send_frame(c, 10, payload, plen);
    else if (opcode == 8) {
      send_frame(c, 8, payload, plen < 2 ? plen : 2);
      close_conn(c);
      lost++;
    }
    off += hdr + plen;
  }
  if (c->state == CLOSED) return;
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
}

static void parse_handshake(Conn *c) {
  unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
  if (!end) {
    if (c->len > 16384) fail("the server's upgrade response has no end");
    return;
  }
  size_t hlen = (size_t)(end - c->buf) + 4;
  c->buf[hlen - 2] = 0; /* the headers as one string */
  if (strncmp((char *)c->buf, "HTTP/1.1 101", 12) != 0) {
    char *eol = strchr((char *)c->buf, '\r');
    if (eol) *eol = 0;
    char m[300];
    snprintf(m, sizeof m, "the server answered the upgrade with: %.200s", (char *)c->buf);
    fail(m);
  }
  char *h = strcasestr((char *)c->buf, "\r\nSec-WebSocket-Accept:");
  if (!h) fail("the server's upgrade response has no Sec-WebSocket-Accept");
  h += 23;
  while (*h == ' ') h++;
  if (strncmp(h, c->accept, strlen(c->accept)) != 0) fail("the server's Sec-WebSocket-Accept does not match the key");
  memmove(c->buf, c->buf + hlen, c->len - hlen);
  c->len -= hlen;
  c->state = AWAIT_HELLO;
}

static void on_readable(Conn *c) {
  for (;;) {
    if (c->cap - c->len < 65536) {
      c->cap = c->cap * 2 > c->len + 65536 ? c->cap * 2 : c->len + 65536;
      c->buf = realloc(c->buf, c->cap);
      if (!c->buf) fail("out of memory");
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (r <= 0) {
      if (c->state == HANDSHAKE || c->state == AWAIT_HELLO) fail("the server closed a connection before its hello");
      close_conn(c);
      lost++;
      return;
    }
    c->len += (size_t)r;
  }
  double at = now_ms();
  if (c->state == HANDSHAKE) parse_handshake(c);
  if (c->state == AWAIT_HELLO || c->state == OPEN) parse_frames(c, at);
}

static void start_conn(Conn *c, const struct sockaddr_in *addr, const char *host, const char *port, const char *path, int ep, int idx) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0) fail("socket() failed");
  if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
    char m[200];
    snprintf(m, sizeof m, "connect to %s:%s: %s", host, port, strerror(errno));
    fail(m);
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned char raw[16];
  for (int i = 0; i < 16; i++) raw[i] = (unsigned char)rand();
  char key[32], cat[80];
  unsigned char digest[20];
  base64(raw, 16, key);
  snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  sha1((unsigned char *)cat, strlen(cat), digest);
  base64(digest, 20, c->accept);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   path, host, port, key);
  send_all(c->fd, req, (size_t)n);
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  c->state = HANDSHAKE;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)idx};
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static double cpu_ms(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

/* Handles one command line from stdin; returns 1 when the run is over. */
static int on_command(const char *line, double cpu_at_connect) {
  if (strcmp(line, "report") == 0) {
    printf("received %zu %lld\n", n_records, other_msgs);
    fflush(stdout);
    return 0;
  }
  if (strcmp(line, "close") == 0) {
    double cpu = cpu_ms() - cpu_at_connect;
    for (int i = 0; i < n_conns; i++) close_conn(&conns[i]);
    for (int i = 0; i < n_streams; i++) printf("s %d %s\n", i, streams[i]);
    for (size_t i = 0; i < n_records; i++) printf("r %d %lld %.3f\n", records[i].stream, records[i].frame, records[i].ms);
    printf("end %zu %lld %.1f %d\n", n_records, other_msgs, cpu, lost);
    fflush(stdout);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: ws-bench-clients HOST PORT PATH N\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2], *path = argv[3];
  n_conns = atoi(argv[4]);
  if (n_conns < 1) fail("N must be a positive number of clients");
  srand((unsigned)(now_ms() * 1000) ^ (unsigned)getpid());
  static char outbuf[1 << 20];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("HOST must be an IPv4 address");
  conns = calloc((size_t)n_conns, sizeof *conns);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event stdin_ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &stdin_ev);
  /* in waves of 50 handshakes at a time, so the accept queue does not overflow on a busy machine */
  int started = 0;
  double deadline = now_ms() + 60000, cpu_at_connect = 0;
  char line[256];
  size_t line_len = 0;
  struct epoll_event evs[256];
  for (;;) {
    if (connected_count < n_conns) {
      while (started < n_conns && started - connected_count < 50) start_conn(&conns[started], &addr, host, port, path, ep, started), started++;
      if (now_ms() > deadline) fail("the clients did not all get the server's hello within 60 s");
    }
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      uint32_t idx = evs[i].data.u32;
      if (idx != UINT32_MAX) {
        if (conns[idx].state != CLOSED) on_readable(&conns[idx]);
        continue;
      }
      char chunk[256];
      ssize_t r = read(0, chunk, sizeof chunk);
      if (r <= 0) return 0; /* the parent is gone */
      for (ssize_t k = 0; k < r; k++) {
        if (chunk[k] != '\n') {
          if (line_len < sizeof line - 1) line[line_len++] = chunk[k];
          continue;
        }
        line[line_len] = 0, line_len = 0;
        if (on_command(line, cpu_at_connect)) return 0;
      }
    }
    if (connected_count == n_conns && cpu_at_connect == 0) {
      cpu_at_connect = cpu_ms();
      if (cpu_at_connect == 0) cpu_at_connect = 1e-9;
      printf("connected %d\n", connected_count);
      fflush(stdout);
    }
  }
}
