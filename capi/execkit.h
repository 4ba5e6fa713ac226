/*
 * execkit.h: the C ABI of execkit, built from capi/ with
 *
 *     go build -buildmode=c-shared -o libexeckit.so ./capi
 *
 * This header is written by hand and is the contract; the Go side includes it,
 * so the compiler checks every exported function against it, and a test checks
 * that the library exports exactly the functions declared here.
 *
 * Conventions
 *
 *   Handles   A session is an opaque uint64_t handle from execkit_open. An id
 *             that was never handed out, or whose session was closed, is
 *             answered with a "bad_handle" error, never a crash. Handles are
 *             not reused.
 *
 *   JSON      Options go in and results come out as UTF-8 JSON text. Every
 *             char * an execkit_ function returns is a NUL-terminated string
 *             allocated by the library that the caller owns and must release
 *             with execkit_free, exactly once. It never holds a pointer into
 *             Go memory. A NULL options argument means the defaults.
 *
 *   Errors    A failure is returned, like every answer, as a JSON object:
 *
 *                 {"error": {"kind": "...", "message": "...", "details": {...}}}
 *
 *             A successful answer never has a top-level "error" member.
 *             "message" is one sentence for a person (or an agent); "kind" is
 *             one of the EXECKIT_KIND_ strings below; "details", when present,
 *             carries the error's fields (the policy rule that denied a
 *             command, the host key that was refused, ...). A nonzero exit
 *             status or a timeout of a command is not an error: it is in the
 *             result.
 *
 *   Threads   Every function may be called from any thread, concurrently.
 *             Calls on one session run one at a time, in order: a second
 *             execkit_exec waits for the first. The library never calls back
 *             into the caller and never takes SIGINT, SIGTERM or any signal
 *             the host program handles (the Go runtime handles only
 *             synchronous signals, SIGPIPE, and SIGURG, with which it
 *             preempts goroutines). A Go runtime cannot be unloaded: load the
 *             library once and never dlclose it (RTLD_NODELETE), and do not
 *             use it in a child of fork() (a Go runtime does not survive it).
 *
 *   Blocking  execkit_open, execkit_exec and the job calls that take a call
 *             id block. Each takes a call id from
 *             execkit_call_new (or 0: not cancellable); execkit_cancel(call),
 *             from another thread, makes that call return early: an exec is
 *             interrupted as a timeout would interrupt it (its result has
 *             "timed_out": true and the session goes on), an open fails with
 *             kind "cancelled". Pass each call id to exactly one blocking
 *             call; it is released when that call returns, whatever it
 *             answers (also when an argument is refused at once).
 */
#ifndef EXECKIT_H
#define EXECKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* EXECKIT_ABI_VERSION is the "abi" execkit_version reports; it changes when
 * a function's signature or meaning changes incompatibly. */
#define EXECKIT_ABI_VERSION 1

/* Error kinds ("kind" in an error object). */
#define EXECKIT_KIND_BAD_HANDLE "bad_handle"         /* unknown or closed session handle */
#define EXECKIT_KIND_BAD_ARGUMENT "bad_argument"     /* malformed JSON, unknown field, bad command, bad config */
#define EXECKIT_KIND_BAD_BUDGET "bad_budget"         /* an output budget that cannot be applied */
#define EXECKIT_KIND_POLICY_DENIED "policy_denied"   /* the policy fence refused the command; it did not run */
#define EXECKIT_KIND_SESSION_ENDED "session_ended"   /* the session's shell has ended (exit, killed, connection lost) */
#define EXECKIT_KIND_BUSY "busy"                     /* another call held the session until this one gave up */
#define EXECKIT_KIND_UNKNOWN_OUTPUT "unknown_output" /* an output id never given out, or dropped since */
#define EXECKIT_KIND_TIMEOUT "timeout"               /* opening the session took too long */
#define EXECKIT_KIND_CANCELLED "cancelled"           /* execkit_cancel ended the call */
#define EXECKIT_KIND_TRANSPORT "transport"           /* the machine cannot be reached, or the connection was lost */
#define EXECKIT_KIND_HOST_KEY "host_key"             /* the SSH host key was refused (unknown, changed, revoked, pin mismatch) */
#define EXECKIT_KIND_AUTH "auth"                     /* SSH authentication failed */
#define EXECKIT_KIND_KEY_PATH "key_path"             /* an SSH key path outside the operator's key directory, or no key */
#define EXECKIT_KIND_CONTAINER "container"           /* no such container, not running, or not allowed */
#define EXECKIT_KIND_NOT_SUPPORTED "not_supported"   /* a feature this build does not have */
#define EXECKIT_KIND_UNKNOWN_JOB "unknown_job"       /* a job id the session never gave out, or dropped since */
#define EXECKIT_KIND_JOB_ENDED "job_ended"           /* input to a job that has exited */
#define EXECKIT_KIND_TOO_MANY_JOBS "too_many_jobs"   /* the session's or the operator's cap on running jobs */
#define EXECKIT_KIND_NO_WORKSPACE "no_workspace"     /* checkpoints need the session's "workspace" */
#define EXECKIT_KIND_NO_GIT "no_git"                 /* checkpoints on an SSH or Docker host need git there */
#define EXECKIT_KIND_UNKNOWN_CHECKPOINT "unknown_checkpoint" /* no such checkpoint, or none yet */
#define EXECKIT_KIND_INTERNAL "internal"             /* a bug in execkit (a recovered panic) */
#define EXECKIT_KIND_ERROR "error"                   /* any other failure */

/* execkit_version returns {"abi": 1, "go": "go1.26.8"}. */
char *execkit_version(void);

/* execkit_call_new returns a fresh call id (never 0) for one blocking call. */
uint64_t execkit_call_new(void);

/* execkit_cancel cancels the call with this id, whether it has started yet or
 * not. It returns 1 if the call was pending or running, 0 if the id is unknown
 * (already returned, or never handed out). */
int execkit_cancel(uint64_t call);

/* execkit_open opens a session and returns
 *
 *     {"session": <handle>, "id": "1_local", "transport": "local", "cwd": "/..."}
 *
 * request is a JSON object:
 *
 *     "transport"        "local" (the default), "ssh" or "docker"
 *     "config"           the session's configuration, execkit.Config: cwd,
 *                        env, timeout_s, output_budget, max_chars,
 *                        output_keep, policy {allow, deny, deny_patterns,
 *                        dynamic}, operator_policy, secrets, workspace, ...
 *     "ssh"              ssh: host, port, user, password, key_path,
 *                        passphrase, fingerprint (ssh.Config)
 *     "ssh_operator"     ssh: key_dir, known_hosts, use_agent,
 *                        insecure_accept_any_host_key, ... (ssh.Operator)
 *     "docker"           docker: container, user, workdir (docker.Config)
 *     "docker_operator"  docker: host, containers, allow_users, ... (docker.Operator)
 *
 * Unknown members are refused (kind "bad_argument"). */
char *execkit_open(const char *request, uint64_t call);

/* execkit_exec runs command (command_len bytes, which need not be
 * NUL-terminated) in the session and returns its result:
 *
 *     {"stdout": "...", "stderr": "...", "exit_code": 0, "duration_ms": 12,
 *      "cwd": "/...", "truncated": true, "timed_out": true,
 *      "budget": {"stdout": {"mode", "lines_total", "lines_kept"}, "stderr": {...}},
 *      "redacted": 1, "output_id": "...", "session_ended": "why", "job_id": "job_1",
 *      "files": {"created": 1, "modified": 0, "deleted": 0, "paths": ["A new.txt"]}}
 *
 * (members that would be false, zero or empty are left out, except stdout,
 * stderr, exit_code, duration_ms and cwd). options is NULL or a JSON object,
 * execkit.ExecOptions: timeout_s, stdin, budget {keep: {mode, n}, grep:
 * {pattern, context}, max_chars}, on_timeout ("interrupt", or "continue": a
 * command still running at its timeout goes on as the job "job_id"). */
char *execkit_exec(uint64_t session, const char *command, size_t command_len,
                   const char *options, uint64_t call);

/* execkit_output returns a past command's full output (its result's
 * "output_id"), shaped again by budget (NULL or a JSON budget object), as a
 * result object. */
char *execkit_output(uint64_t session, const char *output_id, const char *budget);

/* execkit_session_info returns {"session", "id", "transport", "cwd"} and,
 * once the shell has ended, "ended": why. */
char *execkit_session_info(uint64_t session);

/* execkit_sessions returns the open sessions, in the order they were opened:
 * [{"session", "session_id", "transport", "cwd", "idle_s", "busy", "ended"}]. */
char *execkit_sessions(void);

/* execkit_close ends the session (its shell and everything it started are
 * killed), interrupting a running execkit_exec, and releases the handle:
 * {"closed": true}. Closing a handle again is a "bad_handle" error. */
char *execkit_close(uint64_t session);

/* Checkpoints: snapshots of the session's "workspace" (a Config member; none
 * by default) in a shadow git repository outside it, so the workspace's own
 * .git is never touched. A Checkpoint is
 *
 *     {"id": "0123456789ab", "label": "...", "created": "<RFC 3339>", "auto": true}
 */

/* execkit_checkpoint snapshots the workspace (label: NULL or at most 200
 * characters) and returns the Checkpoint. It waits for a running command. */
char *execkit_checkpoint(uint64_t session, const char *label, uint64_t call);

/* execkit_checkpoints lists the workspace's checkpoints, newest first:
 * [Checkpoint]. */
char *execkit_checkpoints(uint64_t session, uint64_t call);

/* execkit_restore makes the workspace's tracked files what they were at
 * checkpoint_id (NULL or "": the latest) and returns {"restored_to",
 * "files_changed", "created", "modified", "deleted"}. It is destructive:
 * files modified since are overwritten, deleted ones written back, and files
 * created since are removed. A restore that fails part way has its partial
 * report in the error's details ("report"). */
char *execkit_restore(uint64_t session, const char *checkpoint_id, uint64_t call);

/* Jobs: processes started from a session that outlive the call (a dev
 * server, a watcher, a REPL), inheriting the shell's working directory and
 * exported variables of the moment they start. They die with their session.
 * A job is named by its session's handle and its id ("job_1"). JobInfo is
 *
 *     {"job_id", "command", "running", "exit_code" (once ended), "tty",
 *      "continued", "age_ms"}
 */

/* execkit_job_start starts command (command_len bytes) as a job and returns
 * its JobInfo once it runs. options is NULL or {"tty": true, "rows", "cols"}
 * (execkit.JobOptions); the policy fence checks the command as for exec. */
char *execkit_job_start(uint64_t session, const char *command, size_t command_len,
                        const char *options, uint64_t call);

/* execkit_jobs returns the session's jobs, running and recently ended, oldest
 * first: [JobInfo]. */
char *execkit_jobs(uint64_t session);

/* execkit_job_output returns the job's output since the last read and its
 * state: {"stdout", "stderr", "running", "exit_code", "matched", "dropped",
 * "redacted", "error"}. options is NULL or {"wait_ms": N, "until": "regex"}:
 * wait up to N ms for output to arrive and pause, or for until to match. */
char *execkit_job_output(uint64_t session, const char *job_id, const char *options, uint64_t call);

/* execkit_job_input writes input_len bytes to the job's stdin (on a terminal:
 * types them), waiting until the job reads them: {"written": n}. */
char *execkit_job_input(uint64_t session, const char *job_id, const char *input, size_t input_len,
                        uint64_t call);

/* execkit_job_close_input closes the job's stdin: {"closed": true}. */
char *execkit_job_close_input(uint64_t session, const char *job_id);

/* execkit_job_signal sends signal ("INT", "TERM", "KILL", "HUP"; NULL means
 * "TERM") to the job's process tree, waits the session's grace period for it
 * to end, and returns its JobInfo. */
char *execkit_job_signal(uint64_t session, const char *job_id, const char *signal, uint64_t call);

/* execkit_free releases a string returned by any execkit_ function. NULL is
 * ignored. */
void execkit_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* EXECKIT_H */
