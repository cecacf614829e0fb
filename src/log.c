#include "log.h"

#include <stdio.h>
#include <time.h>
#include <yder.h>

#include "ips.h"

static unsigned long current_level = Y_LOG_LEVEL_INFO;

static const char *level_name(unsigned long level) {
  switch (level) {
    case Y_LOG_LEVEL_ERROR: return "ERROR";
    case Y_LOG_LEVEL_WARNING: return "WARNING";
    case Y_LOG_LEVEL_INFO: return "INFO";
    default: return "DEBUG";
  }
}

/* One line per message on stderr, so stdout stays for what scripts read. */
static void log_line(void *cls, const char *app, const time_t date, const unsigned long level,
                     const char *message) {
  (void)cls;
  (void)app;
  struct tm tm;
  char when[32];
  gmtime_r(&date, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  fprintf(stderr, "%s %s %s\n", when, level_name(level), message);
}

void log_start(int level) {
  current_level = (unsigned long)level;
  y_init_logs("ips-api", Y_LOG_MODE_CALLBACK, current_level, NULL, "ips-api " IPS_VERSION_STRING);
  y_set_logs_callback(log_line, NULL, NULL);
}

void log_stop(void) { y_close_logs(); }

/* yder levels grow with verbosity: ERROR 0x000F < WARNING 0x00F0 < INFO < DEBUG. */
bool log_enabled(unsigned long level) { return level <= current_level; }

bool log_limited_allow(struct log_limiter *l, unsigned long *held_back) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  pthread_mutex_lock(&l->mu);
  bool allow = l->last == 0 || now.tv_sec - l->last >= (time_t)l->window_s;
  if (allow) {
    *held_back = l->held_back;
    l->held_back = 0;
    l->last = now.tv_sec > 0 ? now.tv_sec : 1;
  } else {
    l->held_back++;
  }
  pthread_mutex_unlock(&l->mu);
  return allow;
}
