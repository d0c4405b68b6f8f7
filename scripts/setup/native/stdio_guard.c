// A tiny Node addon that mutes standard error (fd 2) while TensorFlow's library loads: its static initializers
// print start-up notices through absl logging ("oneDNN custom operations are on", "This TensorFlow binary is
// optimized to use ...") before any log-level setting can apply, which would break the CLI's one-line errors.
// Errors while loading reach JavaScript as exceptions, not through fd 2, so nothing is lost.
#include <fcntl.h>
#include <node_api.h>
#include <unistd.h>

static int saved = -1;

static napi_value mute(napi_env env, napi_callback_info info) {
  if (saved < 0) {
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (nul >= 0) {
      saved = dup(2);
      dup2(nul, 2);
      close(nul);
    }
  }
  return NULL;
}

static napi_value unmute(napi_env env, napi_callback_info info) {
  if (saved >= 0) {
    dup2(saved, 2);
    close(saved);
    saved = -1;
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"mute", NULL, mute, NULL, NULL, NULL, napi_default, NULL},
      {"unmute", NULL, unmute, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}
