/*
 * devc_bridge.h: the C ABI between devc and a container-runtime bridge.
 *
 * A bridge is a shared library (macOS: libDevcBridge.dylib, built from
 * bridge/swift over Apple's `container` client API; Linux:
 * libdevc_bridge_linux.so, built from bridge/linux over the Docker Engine
 * API) that devc loads at run time. devc checks devc_bridge_abi_version()
 * first and refuses a library that implements another version.
 *
 * ABI version 1.
 *
 * ----------------------------------------------------------------------------
 * Conventions (every function below follows them unless it says otherwise)
 * ----------------------------------------------------------------------------
 *
 * Strings in. Requests are NUL-terminated UTF-8 JSON objects. A NULL request
 * is the same as "{}". Unknown keys in a request are refused with code
 * UNSUPPORTED and a message naming the key (a bridge never silently ignores
 * something the caller asked for). The bridge does not keep the pointer
 * after the call returns.
 *
 * Strings out. Every function returning `char *` returns a NUL-terminated
 * UTF-8 JSON "envelope", never NULL:
 *
 *     {"ok":true,"data":<payload>}          success (data may be absent)
 *     {"ok":false,"err":"<message>","code":"<CODE>"}   failure
 *
 * The caller owns the string and releases it with devc_bridge_free() (and
 * with nothing else: the bridge may use its own allocator). `err` is for
 * people; `code` is for programs and is one of:
 *
 *     INVALID_ARGUMENT     malformed JSON, a missing field, a bad fd
 *     NOT_FOUND            no such container / exec handle
 *     IMAGE_NOT_FOUND      the image is not in the local store
 *     ALREADY_EXISTS       a container with that name exists
 *     DAEMON_UNAVAILABLE   the runtime's daemon does not answer
 *                          (Apple: `container system start`)
 *     BUILDER_UNAVAILABLE  the image builder is not running
 *                          (Apple: `container builder start`)
 *     KERNEL_MISSING       no default kernel is configured
 *                          (Apple: `container system kernel set --recommended`)
 *     UNSUPPORTED          the request asks for something this bridge or its
 *                          runtime cannot do (the message names it)
 *     BUILD_FAILED         the build ran and failed (the message has the step)
 *     PULL_FAILED          the registry refused or could not be reached
 *     TIMEOUT              the deadline passed (see below)
 *     CANCELLED            the cancel token fired (see below)
 *     INTERNAL             anything else (a bug or an unexpected daemon answer)
 *
 * New codes are only added with a new ABI version.
 *
 * Deadlines. Every function that may block takes `int64_t timeout_ms`: the
 * call returns at the latest timeout_ms milliseconds after it was entered,
 * with code TIMEOUT if the work has not finished (the bridge abandons the
 * request; it may still take effect in the daemon, so a caller treats a
 * timed-out create/start/stop/delete as "state unknown" and inspects).
 * timeout_ms <= 0 means no deadline (the call can still be cancelled). The
 * runtime's own timeouts are not relied upon (Apple's XPC timeouts do not
 * fire reliably).
 *
 * Cancellation. Every function that may block takes a `devc_bridge_cancel *`
 * (NULL: not cancellable). devc_bridge_cancel_fire() may be called from any
 * thread at any time; every call using the token returns promptly with code
 * CANCELLED (a call entered after the token fired returns CANCELLED without
 * doing anything). One token may serve many calls; it cannot be reset.
 *
 * File descriptors. Functions taking fds (exec, pull and build progress)
 * duplicate them (close-on-exec) on entry, whatever the outcome, and
 * never close, read from the caller's copy of, or change the flags (e.g.
 * O_NONBLOCK) of the caller's descriptors: the caller closes its own copies
 * when it likes, typically right after the call. -1 means "none". A
 * progress fd's duplicate is closed before pull/build returns (after TIMEOUT
 * or CANCELLED: as soon as the abandoned work stops). Writes
 * from the bridge never raise SIGPIPE in the caller's process: a reader that
 * went away turns into discarded output. An fd returned by the bridge
 * (logs) belongs to the caller, who closes it.
 *
 * Threads. Every function is thread-safe and may be called concurrently,
 * from any thread, including threads of an async runtime. No function calls
 * back into the caller. No panic, exception or Swift error crosses this
 * boundary: it becomes code INTERNAL.
 *
 * Lifetime. A loaded bridge is never unloaded (it may own threads).
 *
 * ----------------------------------------------------------------------------
 * JSON shapes used below
 * ----------------------------------------------------------------------------
 *
 * ContainerInfo:
 *   {"id":string, "name":string, "image":string (as requested at create),
 *    "imageId":string, "created":string (RFC 3339),
 *    "state":{"status":"created"|"running"|"paused"|"restarting"|"stopping"|
 *                      "exited"|"dead"|"unknown",
 *             "running":bool, "startedAt":string (RFC 3339, "" if never),
 *             "finishedAt":string ("" if unknown),
 *             "exitCode":int (0 if unknown)},
 *    "labels":{string:string}, "env":["K=V"...] (the init process's),
 *    "user":string (the init process's, "" = image default),
 *    "mounts":[{"type":"bind"|"volume"|"tmpfs", "name"?:string,
 *               "source":string, "destination":string}],
 *    "ipAddress"?:string (first network, without prefix length)}
 *
 * ImageInfo:
 *   {"id":string, "reference":string, "user":string, "labels":{..},
 *    "env":[..], "entrypoint":[..], "cmd":[..], "os":string,
 *    "architecture":string, "variant"?:string}
 */

#ifndef DEVC_BRIDGE_H
#define DEVC_BRIDGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes. */
#define DEVC_BRIDGE_ABI_VERSION 1u

/* An opaque cancel token. */
typedef struct devc_bridge_cancel devc_bridge_cancel;

/* ---------------------------------------------------------------------------
 * Library
 * ------------------------------------------------------------------------- */

/* The ABI version the library implements (DEVC_BRIDGE_ABI_VERSION of the
 * header it was built from). Never blocks; safe to call before anything else.
 * A loader must refuse a library whose version differs from its own. */
uint32_t devc_bridge_abi_version(void);

/* Non-blocking; does not contact the daemon. data:
 *   {"abiVersion":1, "implementation":string, "version":string,
 *    "platform":"apple-container"|"docker-engine"|...,
 *    "codes":[CODE...]  (the error codes this implementation can return)} */
char *devc_bridge_info(void);

/* Releases a string returned by this library. NULL is ignored. */
void devc_bridge_free(char *s);

/* ---------------------------------------------------------------------------
 * Cancel tokens
 * ------------------------------------------------------------------------- */

/* A new, unfired token (never NULL). */
devc_bridge_cancel *devc_bridge_cancel_new(void);

/* Fires the token: every call using it returns CANCELLED. Idempotent, any
 * thread, never blocks. NULL is ignored. */
void devc_bridge_cancel_fire(devc_bridge_cancel *token);

/* Releases the token. Call it only once no call using the token is still
 * running. NULL is ignored. */
void devc_bridge_cancel_free(devc_bridge_cancel *token);

/* ---------------------------------------------------------------------------
 * Daemon
 * ------------------------------------------------------------------------- */

/* Checks that the daemon answers. data: {"version":string (the daemon's),
 * "platform":string}. DAEMON_UNAVAILABLE when it does not answer. */
char *devc_bridge_ping(int64_t timeout_ms, devc_bridge_cancel *cancel);

/* ---------------------------------------------------------------------------
 * Containers
 * ------------------------------------------------------------------------- */

/* request {"id":string} (id or name). data: ContainerInfo. NOT_FOUND. */
char *devc_bridge_container_inspect(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"labels"?:{string:string}, "all"?:bool (default true: stopped
 * ones too)}: containers carrying every label with exactly that value.
 * data: {"containers":[ContainerInfo...]}, newest first. */
char *devc_bridge_container_list(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* Creates (does not start) a container. request:
 *   {"image":string (required; must be local, else IMAGE_NOT_FOUND),
 *    "name"?:string (Apple: the container id, [a-zA-Z0-9][a-zA-Z0-9_.-]*,
 *                    at most 63 characters; generated when absent),
 *    "entrypoint"?:[string], "cmd"?:[string]  (absent: the image's),
 *    "env"?:["K=V"] (added to the image's, by key),
 *    "user"?:string ("name", "uid", "uid:gid"; absent: the image's),
 *    "workingDir"?:string, "labels"?:{string:string},
 *    "mounts"?:[{"type":"bind"|"volume"|"tmpfs", "source"?:string (bind:
 *               absolute host path; volume: name, absent = anonymous),
 *               "target":string, "readOnly"?:bool}],
 *    "ports"?:[{"containerPort":int, "hostPort"?:int (absent: any),
 *               "hostAddress"?:string, "protocol"?:"tcp"|"udp"}],
 *    "capAdd"?:[string], "capDrop"?:[string], "init"?:bool,
 *    "cpus"?:number, "memoryBytes"?:int, "hostname"?:string,
 *    "dns"?:[string] (nameservers), "network"?:string (absent: the default
 *    network; "none": no network), "platform"?:"os/arch[/variant]",
 *    "tty"?:bool, "readOnly"?:bool, "stopSignal"?:string}
 * data: {"id":string}. ALREADY_EXISTS when the name is taken. Apple: the
 * image and the init image are unpacked before the daemon's create call. */
char *devc_bridge_container_create(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"id":string}. Starts the init process; starting a running
 * container succeeds and does nothing. */
char *devc_bridge_container_start(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"id":string, "graceSeconds"?:int (default: the runtime's)}.
 * Sends the stop signal, then SIGKILL after the grace period. Stopping a
 * stopped container succeeds. */
char *devc_bridge_container_stop(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"id":string, "force"?:bool (kill a running container first),
 * "volumes"?:bool (also remove its anonymous volumes)}. */
char *devc_bridge_container_delete(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* ---------------------------------------------------------------------------
 * Images
 * ------------------------------------------------------------------------- */

/* request {"reference":string}. data: ImageInfo. IMAGE_NOT_FOUND. Local
 * store only, never pulls. */
char *devc_bridge_image_inspect(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"reference":string, "platform"?:string}. Progress lines (text,
 * '\n'-terminated) are written to progress_fd (-1: none). data:
 * {"reference":string}. PULL_FAILED. */
char *devc_bridge_image_pull(const char *request, int progress_fd, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* Builds an image. request:
 *   {"contextPath":string (required, absolute), "dockerfile"?:string
 *    (absolute, or relative to the context; default "Dockerfile"),
 *    "tags"?:[string], "args"?:{string:string}, "target"?:string,
 *    "cacheFrom"?:[string], "noCache"?:bool, "labels"?:{string:string},
 *    "platform"?:string, "pull"?:bool}
 * Build output lines go to progress_fd (-1: none). Cancelling stops the
 * build. data: {"id":string}. BUILD_FAILED, BUILDER_UNAVAILABLE. Apple:
 * BuildKit in the builder VM, which must be running. */
char *devc_bridge_image_build(const char *request, int progress_fd, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* ok when builds can run now; BUILDER_UNAVAILABLE (with the reason) when not. */
char *devc_bridge_builder_probe(int64_t timeout_ms, devc_bridge_cancel *cancel);

/* ---------------------------------------------------------------------------
 * Exec
 * ------------------------------------------------------------------------- */

/* Starts a process in a running container. request:
 *   {"id":string (container), "cmd":[string] (required, non-empty),
 *    "env"?:["K=V"] (added to the init process's, by key),
 *    "user"?:string, "workingDir"?:string, "tty"?:bool}
 * The process starts from the init process's configuration (env, user,
 * working directory) with the request's changes.
 * stdin_fd: the process reads it until EOF (-1: stdin is closed at once).
 * stdout_fd / stderr_fd: the process's output is written there (-1:
 * discarded). With "tty", the terminal's output (stdout and stderr merged)
 * goes to stdout_fd and stderr_fd must be -1.
 * The bridge keeps its duplicates of stdout_fd/stderr_fd open until the
 * process has ended and all its output was written, then closes them: a
 * reader sees EOF once the caller has closed its own copies too.
 * data: {"handle":uint64 (never 0)}. NOT_FOUND (no such container),
 * INVALID_ARGUMENT (it is not running). The caller releases the handle with
 * devc_bridge_exec_release(). */
char *devc_bridge_exec_start(const char *request, int stdin_fd, int stdout_fd, int stderr_fd,
                             int64_t timeout_ms, devc_bridge_cancel *cancel);

/* Waits for the process to end and for its output to be written. data:
 * {"exitCode":int} (128+N when signal N ended it). TIMEOUT and CANCELLED
 * leave the process running; wait may be called again. NOT_FOUND for an
 * unknown or released handle. */
char *devc_bridge_exec_wait(uint64_t handle, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* Sends Linux signal number `signal` (1..64) to the process (and its process
 * group when it leads one). Signalling an ended process succeeds. */
char *devc_bridge_exec_signal(uint64_t handle, int32_t signal, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* Resizes the process's terminal. UNSUPPORTED for an exec without "tty". */
char *devc_bridge_exec_resize(uint64_t handle, uint16_t columns, uint16_t rows, int64_t timeout_ms,
                              devc_bridge_cancel *cancel);

/* Forgets the handle (the process keeps running if it still does; its
 * output keeps flowing). Idempotent, never blocks; unknown handles are
 * ignored. */
void devc_bridge_exec_release(uint64_t handle);

/* ---------------------------------------------------------------------------
 * Logs
 * ------------------------------------------------------------------------- */

/* request {"id":string, "follow"?:bool}. data: {"fd":int}, a readable fd
 * (close-on-exec) the caller owns and closes. Reading it gives the init
 * process's output (stdout and stderr interleaved, unframed) since the last
 * start; without "follow" it ends (EOF) at the output so far, with "follow"
 * when the container stops or the caller closes the fd. NOT_FOUND. */
char *devc_bridge_logs_open(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* ---------------------------------------------------------------------------
 * Volumes and networks
 * ------------------------------------------------------------------------- */

/* request {"name":string, "labels"?:{string:string}}. data: {"name":string}.
 * Creating an existing volume succeeds (its labels are left as they are). */
char *devc_bridge_volume_create(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"name":string}. Removing a volume that does not exist succeeds. */
char *devc_bridge_volume_remove(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"name":string, "labels"?:{string:string}}. data: {"id":string,
 * "name":string}. Creating an existing network succeeds. Apple: networks
 * other than the default need macOS 26 (UNSUPPORTED before). */
char *devc_bridge_network_create(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

/* request {"name":string}. Removing a network that does not exist succeeds. */
char *devc_bridge_network_remove(const char *request, int64_t timeout_ms, devc_bridge_cancel *cancel);

#ifdef __cplusplus
}
#endif

#endif /* DEVC_BRIDGE_H */
