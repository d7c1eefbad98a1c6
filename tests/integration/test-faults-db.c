/* test-faults-db.c: PostgreSQL killed, and a server process killed, in
 * the middle of a flash sale, a checkout burst and a check-in burst
 *
 * The program runs its own PostgreSQL cluster (scripts/pg-cluster.sh on a
 * random port), so killing it disturbs no other test. Each scenario runs
 * many concurrent clients; they retry what the server answers with
 * 503 database_unavailable (which must carry Retry-After) with the same
 * Idempotency-Key or nonce, and nothing else may fail: no other 5xx, no
 * hang (every client has an I/O timeout and every call a deadline).
 *
 * PostgreSQL faults: the postmaster and its children are SIGKILLed while
 * the burst runs, the burst keeps going against the dead database, then
 * the cluster is started again (crash recovery) and the same server
 * process must serve /readyz 200 and finish the burst by itself.
 *
 * Server faults: two processes share the database; the second one is
 * SIGKILLed in the middle of the burst and its clients retry on the first.
 *
 * After every scenario the database must hold its invariants: inventory
 * equals the live bookings and never exceeds capacity, a confirmed
 * booking has exactly its ticket set, a ticket enters a list without
 * re-entry once, a paid payment belongs to a confirmed booking and a
 * confirmed card booking has its paid payment, and the Stripe stand-in
 * charged no booking twice and refunded nothing.
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "eva-common.h"
#include "eva-test.h"
#include "eva-test-booking.h"
#include "eva-test-stripe.h"

#define SECRET_KEY "sk_test_everato_faults"
#define WHSEC      "whsec_faults_4d2c9e1a"

/* How long one call may take, retries included, and one wait of the
 * orchestration (generous: the sanitizer build is three times slower). */
#define CALL_DEADLINE_US (90 * G_USEC_PER_SEC)
#define WAIT_DEADLINE_US (60 * G_USEC_PER_SEC)
#define CLIENT_TIMEOUT_S 30

typedef enum
{
  FAULT_POSTGRES,
  FAULT_SERVER,
} Fault;

static EvaTestStripe *stripe;
static char *door;           /* a door_staff token */
static char *cluster_dir;    /* the private cluster */
static char *cluster_port;
static char *stripe_base_env;

/* ------------------------------------------------------------------ */
/* The private cluster                                                */
/* ------------------------------------------------------------------ */

static int
pg_cluster (const char *action)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"),
                                              "scripts", "pg-cluster.sh", NULL);
  /* stop takes the folder only */
  const char *argv[] = { "bash", script, action, cluster_dir,
                         g_str_equal (action, "start") ? cluster_port : NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (status != 0)
    g_test_message ("pg-cluster.sh %s: %s", action, err);
  return status;
}

/* A shell that stops the cluster and removes it once this program's end
 * of its input closes, however the program ends (a failed assertion
 * aborts): no cluster is left running. Returns the pipe to close. */
static int
start_cluster_guard (GPid *guard_pid)
{
  g_autofree char *script = g_build_filename (g_getenv ("EVERATO_SOURCE_ROOT"),
                                              "scripts", "pg-cluster.sh", NULL);
  const char *argv[] = {
    "sh", "-c", "cat >/dev/null; bash \"$0\" stop \"$1\" >/dev/null 2>&1; rm -rf \"$1\"",
    script, cluster_dir, NULL,
  };
  g_autoptr(GError) error = NULL;
  int in_fd;

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, guard_pid, &in_fd, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Servers started later must not hold it open. */
  fcntl (in_fd, F_SETFD, FD_CLOEXEC);
  return in_fd;
}

static GPid
postmaster_pid (void)
{
  g_autofree char *path = g_build_filename (cluster_dir, "pgdata", "postmaster.pid", NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

/* The parent and state of @pid from /proc, FALSE when it is gone. */
static gboolean
proc_stat (GPid  pid,
           GPid *ppid,
           char *state)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  /* "pid (comm) S ppid …": the name may hold spaces and parentheses. */
  p = strrchr (text, ')');
  if (p == NULL || p[1] == '\0')
    return FALSE;
  *state = p[2];
  *ppid = (GPid) g_ascii_strtoll (p + 4, NULL, 10);
  return TRUE;
}

static GArray *
children_of (GPid parent)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint64 n;
      GPid ppid;
      char state;

      if (g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &n, NULL) &&
          proc_stat ((GPid) n, &ppid, &state) && ppid == parent)
        {
          GPid pid = (GPid) n;

          g_array_append_val (pids, pid);
        }
    }
  return pids;
}

/* Reaps @pid if it became ours (this process is a subreaper), and says
 * whether it is gone: a zombie that is not ours counts as gone, it holds
 * no shared memory any more. */
static gboolean
gone (GPid pid)
{
  GPid ppid;
  char state;
  int status;

  if (waitpid (pid, &status, WNOHANG) == pid)
    return TRUE;
  return !proc_stat (pid, &ppid, &state) || (state == 'Z' && ppid != getpid ());
}

/* SIGKILL to the postmaster and to every process of the cluster, as a
 * crash does it; returns when they are all gone. */
static void
pg_kill (void)
{
  GPid pm = postmaster_pid ();
  g_autoptr(GArray) kids = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_DEADLINE_US;

  /* Stopped first, so that it forks no child between the list and the
   * kill (one left attached would keep the next start from starting). */
  g_assert_cmpint (kill (pm, SIGSTOP), ==, 0);
  kids = children_of (pm);
  g_assert_cmpint (kill (pm, SIGKILL), ==, 0);
  for (guint i = 0; i < kids->len; i++)
    kill (g_array_index (kids, GPid, i), SIGKILL);

  while (!gone (pm) && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  g_assert_true (gone (pm));
  for (guint i = 0; i < kids->len; i++)
    {
      GPid pid = g_array_index (kids, GPid, i);

      while (!gone (pid) && g_get_monotonic_time () < deadline)
        g_usleep (2000);
      g_assert_true (gone (pid));
    }
}

/* ------------------------------------------------------------------ */
/* HTTP from many threads                                             */
/* ------------------------------------------------------------------ */

typedef struct
{
  guint     status;          /* 0: no answer (the connection failed) */
  char     *error;
  char     *body;
  JsonNode *json;
  char     *retry_after;
} Reply;

static void
reply_free (Reply *r)
{
  if (r == NULL)
    return;
  g_free (r->error);
  g_free (r->body);
  g_clear_pointer (&r->json, json_node_unref);
  g_free (r->retry_after);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

/* One request; JSON answers of the server (not of the stand-in) are
 * checked against docs/openapi.yaml like every other test's. */
static Reply *
send_once (SoupSession *session,
           const char  *base_url,
           const char  *method,
           const char  *path,
           Buyer       *buyer,
           const char  *key,
           const char  *token,
           const char  *body,
           gboolean     check)
{
  g_autofree char *url = g_strconcat (base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  Reply *r = g_new0 (Reply, 1);
  SoupMessageHeaders *headers;
  const char *type;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (buyer != NULL)
    {
      g_autofree char *cookie = g_strconcat ("everato_session=", buyer->cookie, NULL);

      soup_message_headers_replace (headers, "Cookie", cookie);
      soup_message_headers_replace (headers, "X-CSRF-Token", buyer->csrf);
    }
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", key);
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }

  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  if (bytes == NULL)
    {
      r->error = g_strdup (error->message);
      return r;
    }
  r->status = soup_message_get_status (msg);
  r->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  r->retry_after = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Retry-After"));
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  if (g_bytes_get_size (bytes) > 0 && g_strcmp0 (type, "application/json") == 0)
    {
      r->json = json_from_string (r->body, &error);
      if (r->json == NULL)
        g_error ("%s %s: the answer is not JSON: %s\n%s", method, path, error->message, r->body);
      if (check)
        eva_test_check_response (method, path, r->status, r->json);
    }
  return r;
}

/* ------------------------------------------------------------------ */
/* A burst: workers, their retries and what they saw                  */
/* ------------------------------------------------------------------ */

typedef struct _Burst Burst;
typedef struct _Worker Worker;
typedef void (*OpFunc) (Worker *w, guint op);

struct _Burst
{
  Fault           fault;
  EvaTestServer  *targets[2];    /* [1]: the process that is killed */
  guint           n_targets;
  OpFunc          run_op;
  gpointer        data;
  guint           n_ops;
  guint           n_workers;
  guint           gate;          /* ops from here on wait for the fault */

  GMutex          lock;
  GCond           cond;
  gboolean        released;
  guint           next_op;

  gint            done;          /* ops finished */
  gint            in_flight;     /* requests sent, not yet answered */
  gint            in_flight_at_fault;
  gint            faulted;       /* the fault has happened */
  gint            unavailable;   /* 503 database_unavailable answers */
  gint            lost;          /* requests that lost their server */
  gint            webhooks_refused; /* Stripe deliveries not taken (503 or gone) */
  gint            parked;        /* clients waiting for the fault to act */
  gint            min_parked;    /* how many the fault waits for */
  GString        *problems;
};

struct _Worker
{
  Burst       *burst;
  SoupSession *session;
  SoupSession *standin;
  guint        target;
};

static void
problem (Burst      *burst,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static void
problem (Burst      *burst,
         const char *format,
         ...)
{
  va_list args;

  g_mutex_lock (&burst->lock);
  va_start (args, format);
  g_string_append_vprintf (burst->problems, format, args);
  va_end (args);
  g_string_append_c (burst->problems, '\n');
  g_mutex_unlock (&burst->lock);
}

static EvaTestServer *
target_of (Worker *w)
{
  return w->burst->targets[w->target];
}

/* Moves a client of the killed process to the other one; FALSE if the
 * failure cannot be explained by the fault. */
static gboolean
lost_server (Worker *w)
{
  Burst *burst = w->burst;

  if (burst->fault != FAULT_SERVER || w->target != 1 || !g_atomic_int_get (&burst->faulted))
    return FALSE;
  g_atomic_int_inc (&burst->lost);
  w->target = 0;
  return TRUE;
}

/* A call to the server, repeated as a client does: after 503 (which must
 * be database_unavailable with Retry-After) and, for the clients of the
 * killed process, on the other one. Returns the first other answer, or
 * one with status 0 after a problem. */
static Reply *
call (Worker     *w,
      const char *method,
      const char *path,
      Buyer      *buyer,
      const char *key,
      const char *token,
      const char *body)
{
  Burst *burst = w->burst;
  gint64 deadline = g_get_monotonic_time () + CALL_DEADLINE_US;
  guint backoff_ms = 20;

  for (;;)
    {
      Reply *r;

      g_atomic_int_inc (&burst->in_flight);
      r = send_once (w->session, target_of (w)->base_url, method, path, buyer, key, token,
                     body, TRUE);
      g_atomic_int_add (&burst->in_flight, -1);

      if (r->status == 0 && lost_server (w))
        {
          reply_free (r);
          continue;
        }
      if (r->status == 0)
        {
          problem (burst, "%s %s: no answer: %s", method, path, r->error);
          return r;
        }
      if (r->status != 503)
        {
          if (r->status >= 500)
            {
              problem (burst, "%s %s: %u %s", method, path, r->status, r->body);
              r->status = 0;
            }
          return r;
        }

      if (g_strcmp0 (eva_test_json_string (r->json, "error.code"), "database_unavailable") != 0 ||
          r->retry_after == NULL)
        {
          problem (burst, "%s %s: 503 without database_unavailable and Retry-After: %s",
                   method, path, r->body);
          r->status = 0;
          return r;
        }
      g_atomic_int_inc (&burst->unavailable);
      if (g_get_monotonic_time () > deadline)
        {
          problem (burst, "%s %s: still 503 after %d s", method, path,
                   (int) (CALL_DEADLINE_US / G_USEC_PER_SEC));
          r->status = 0;
          return r;
        }
      reply_free (r);
      /* A client backs off, a little more each time. */
      g_usleep (backoff_ms * 1000);
      backoff_ms = MIN (backoff_ms * 2, 200);
    }
}

/* A call to the stand-in's control API (it never fails by itself). */
static JsonNode *
standin (Worker     *w,
         const char *path,
         const char *body)
{
  g_autoptr(Reply) r = send_once (w->standin, eva_test_stripe_base_url (stripe), "POST", path,
                                  NULL, NULL, NULL, body, FALSE);

  if (r->status != 200 || r->json == NULL)
    {
      problem (w->burst, "stand-in %s: %u %s %s", path, r->status, r->body, r->error);
      return NULL;
    }
  return g_steal_pointer (&r->json);
}

/* Waits for the fault: what the client does next meets it. */
static void
park (Worker *w)
{
  Burst *burst = w->burst;

  g_mutex_lock (&burst->lock);
  g_atomic_int_inc (&burst->parked);
  while (!burst->released)
    g_cond_wait (&burst->cond, &burst->lock);
  g_mutex_unlock (&burst->lock);
}

static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  Burst *burst = w->burst;

  for (;;)
    {
      guint op;

      g_mutex_lock (&burst->lock);
      op = burst->next_op;
      if (op < burst->n_ops)
        burst->next_op++;
      while (op >= burst->gate && op < burst->n_ops && !burst->released)
        g_cond_wait (&burst->cond, &burst->lock);
      g_mutex_unlock (&burst->lock);
      if (op >= burst->n_ops)
        break;

      burst->run_op (w, op);
      g_atomic_int_inc (&burst->done);
    }
  return NULL;
}

static void
wait_for (Burst      *burst,
          gint       *counter,
          gint        at_least,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_DEADLINE_US;

  while (g_atomic_int_get (counter) < at_least && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  if (g_atomic_int_get (counter) < at_least)
    g_error ("waited in vain for %d %s (got %d); problems so far:\n%s", at_least, what,
             g_atomic_int_get (counter), burst->problems->str);
}

/* /readyz of @srv until 200; the milliseconds it took. */
static gint64
wait_ready (EvaTestServer *srv)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + WAIT_DEADLINE_US;

  for (;;)
    {
      g_autoptr(EvaTestResponse) r = eva_test_call (srv, "GET", "/readyz", NULL, NULL);

      if (r->status == 200)
        return (g_get_monotonic_time () - start) / 1000;
      eva_test_assert_error (r, 503, "database_unavailable");
      g_assert_nonnull (eva_test_header (r, "Retry-After"));
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not become ready again", srv->base_url);
      g_usleep (20000);
    }
}

/* The harness's own connections do not survive a crash of the cluster. */
static void
reconnect (EvaTestServer *srv)
{
  if (srv == NULL || srv->pg == NULL)
    return;
  PQreset (srv->pg);
  g_assert_cmpint (PQstatus (srv->pg), ==, CONNECTION_OK);
}

/* Nothing the server logged says it failed other than as "database
 * unavailable": no internal error, no SQL error, nothing critical. */
static void
assert_log_clean (EvaTestServer *srv)
{
  g_autofree char *log = eva_test_server_log (srv);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  const char *bad[] = { "internal error", "unexpected error", "SQL error", " critical ", NULL };

  for (guint i = 0; lines[i] != NULL; i++)
    for (guint j = 0; bad[j] != NULL; j++)
      if (strstr (lines[i], bad[j]) != NULL)
        g_error ("the server logged: %s", lines[i]);
}

/* The mail queue works again by itself: no mail stays due and untaken.
 * (A mail caught mid-send keeps its lease and is not counted.) */
static void
wait_outbox_taken (void)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_DEADLINE_US;

  for (;;)
    {
      g_autofree char *due = eva_test_sql (server->pg,
                                           "SELECT count(*) FROM email_outbox"
                                           " WHERE status = 'pending'"
                                           "   AND next_attempt_at <= now() - interval '1 second'",
                                           NULL);

      if (g_strcmp0 (due, "0") == 0)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s mails are still waiting for the outbox after the outage", due);
      g_usleep (50000);
    }
}

/* Runs the burst: a fifth of the ops first, then the fault while those
 * up to the gate are still running, then the rest against the fault. */
static void
burst_run (Burst *burst)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  g_autofree Worker *workers = g_new0 (Worker, burst->n_workers);
  GPid pid = server->pid;
  gint64 started = g_get_monotonic_time ();
  gint64 faulted_at, restarted_at = 0, down_ms = 0, ready_ms = 0;

  burst->gate = MAX (burst->n_ops * 2 / 5, 2);
  for (guint i = 0; i < burst->n_workers; i++)
    {
      workers[i].burst = burst;
      workers[i].session = soup_session_new_with_options ("timeout", CLIENT_TIMEOUT_S,
                                                          "max-conns", 4, NULL);
      workers[i].standin = soup_session_new_with_options ("timeout", CLIENT_TIMEOUT_S, NULL);
      workers[i].target = i % burst->n_targets;
      g_ptr_array_add (threads, g_thread_new ("client", worker_thread, &workers[i]));
    }

  wait_for (burst, &burst->done, MAX (burst->n_ops / 5, 1), "ops before the fault");
  wait_for (burst, &burst->parked, burst->min_parked, "clients waiting for the fault");
  g_assert_cmpint (g_atomic_int_get (&burst->unavailable), ==, 0);
  burst->in_flight_at_fault = g_atomic_int_get (&burst->in_flight);
  faulted_at = g_get_monotonic_time ();
  g_atomic_int_set (&burst->faulted, 1);

  if (burst->fault == FAULT_POSTGRES)
    {
      g_autoptr(EvaTestResponse) health = NULL;
      g_autoptr(EvaTestResponse) down = NULL;

      pg_kill ();
      /* The rest of the burst runs into the dead database. */
      g_mutex_lock (&burst->lock);
      burst->released = TRUE;
      g_cond_broadcast (&burst->cond);
      g_mutex_unlock (&burst->lock);

      wait_for (burst, &burst->unavailable, (gint) burst->n_workers, "503 answers while down");
      wait_for (burst, &burst->webhooks_refused, burst->min_parked, "webhooks refused while down");
      down = eva_test_call (server, "GET", "/readyz", NULL, NULL);
      eva_test_assert_error (down, 503, "database_unavailable");
      g_assert_nonnull (eva_test_header (down, "Retry-After"));
      health = eva_test_call (server, "GET", "/healthz", NULL, NULL);
      eva_test_assert_status (health, 200);

      g_assert_cmpint (pg_cluster ("start"), ==, 0);
      restarted_at = g_get_monotonic_time ();
      down_ms = (restarted_at - faulted_at) / 1000;
      ready_ms = wait_ready (server);
      /* The same process, not a new one. */
      g_assert_cmpint (server->pid, ==, pid);
      g_assert_cmpint (kill (pid, 0), ==, 0);
      reconnect (server);
    }
  else
    {
      eva_test_server_kill (burst->targets[1]);
      g_mutex_lock (&burst->lock);
      burst->released = TRUE;
      g_cond_broadcast (&burst->cond);
      g_mutex_unlock (&burst->lock);
    }

  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  for (guint i = 0; i < burst->n_workers; i++)
    {
      g_object_unref (workers[i].session);
      g_object_unref (workers[i].standin);
    }

  g_test_message ("%s: %u ops by %u clients in %" G_GINT64_FORMAT " ms; %d requests in flight"
                  " at the fault; %d answers 503 database_unavailable; %d requests lost"
                  " their server; %d webhook deliveries refused; database down %" G_GINT64_FORMAT
                  " ms, ready %" G_GINT64_FORMAT " ms after its restart",
                  burst->fault == FAULT_POSTGRES ? "postgres killed" : "server killed",
                  burst->n_ops, burst->n_workers, (g_get_monotonic_time () - started) / 1000,
                  burst->in_flight_at_fault, burst->unavailable, burst->lost,
                  burst->webhooks_refused, down_ms, ready_ms);
  if (burst->problems->len > 0)
    g_error ("the burst went wrong:\n%s", burst->problems->str);
  g_assert_cmpint (g_atomic_int_get (&burst->done), ==, (gint) burst->n_ops);
  g_assert_cmpint (burst->webhooks_refused, >=, burst->min_parked);
  if (burst->fault == FAULT_POSTGRES)
    g_assert_cmpint (burst->unavailable, >=, (gint) burst->n_workers);
  else
    g_assert_cmpint (burst->unavailable, ==, 0);

  /* The survivor serves on, and its background work too. */
  {
    g_autoptr(EvaTestResponse) ready = eva_test_call (server, "GET", "/readyz", NULL, NULL);

    eva_test_assert_status (ready, 200);
  }
  wait_outbox_taken ();
  assert_log_clean (server);
}

static void
burst_init (Burst    *burst,
            Fault     fault,
            OpFunc    run_op,
            gpointer  data,
            guint     n_ops,
            guint     n_workers)
{
  memset (burst, 0, sizeof *burst);
  burst->fault = fault;
  burst->run_op = run_op;
  burst->data = data;
  burst->n_ops = n_ops;
  burst->n_workers = n_workers;
  burst->targets[0] = server;
  burst->n_targets = 1;
  g_mutex_init (&burst->lock);
  g_cond_init (&burst->cond);
  burst->problems = g_string_new (NULL);
}

static void
burst_clear (Burst *burst)
{
  g_mutex_clear (&burst->lock);
  g_cond_clear (&burst->cond);
  g_string_free (burst->problems, TRUE);
}

/* The second process of a server fault, on the same database. */
static EvaTestServer *
second_server (void)
{
  const char *env[] = {
    "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, stripe_base_env,
    "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC, NULL,
  };

  return eva_test_server_start_on (server->dbname, env);
}

/* ------------------------------------------------------------------ */
/* Invariants                                                         */
/* ------------------------------------------------------------------ */

static void
assert_zero (const char *what,
             const char *sql)
{
  g_autofree char *n = eva_test_sql (server->pg, sql, NULL);

  if (g_strcmp0 (n, "0") != 0)
    g_error ("invariant broken: %s (%s rows)", what, n);
}

/* Stripe charged each booking at most once and refunded nothing; every
 * card payment paid in the database is the one Stripe took. */
static void
assert_charged_once (void)
{
  g_autoptr(JsonNode) sessions = eva_test_stripe_control (stripe, "GET", "/_standin/sessions",
                                                          NULL, NULL);
  g_autoptr(JsonNode) refunds = eva_test_stripe_control (stripe, "GET", "/_standin/refunds",
                                                         NULL, NULL);
  g_autoptr(GHashTable) charged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *a = json_node_get_array (sessions);
  guint paid = 0;

  g_assert_cmpuint (json_array_get_length (json_node_get_array (refunds)), ==, 0);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *s = json_array_get_element (a, i);
      const char *booking = eva_test_json_string (s, "client_reference_id");

      if (g_strcmp0 (eva_test_json_string (s, "payment_status"), "paid") != 0)
        continue;
      g_assert_nonnull (booking);
      if (g_hash_table_contains (charged, booking))
        g_error ("booking %s was charged twice", booking);
      g_hash_table_insert (charged, g_strdup (booking),
                           g_strdup (eva_test_json_string (s, "payment_intent")));
      paid++;
    }

  /* Both ways: the database's paid card payments are exactly these. */
  {
    g_autofree char *n = eva_test_sql (server->pg,
                                       "SELECT count(*) FROM payments WHERE method = 'card'"
                                       " AND status = 'paid'", NULL);

    g_assert_cmpint (g_ascii_strtoll (n, NULL, 10), ==, paid);
  }
  {
    GHashTableIter iter;
    gpointer booking, intent;

    g_hash_table_iter_init (&iter, charged);
    while (g_hash_table_iter_next (&iter, &booking, &intent))
      {
        g_autofree char *expected = g_strconcat (intent, ":confirmed", NULL);

        assert_sql (server->pg,
                    "SELECT string_agg(p.payment_intent || ':' || b.status, ',')"
                    "  FROM payments p JOIN bookings b ON b.id = p.booking_id"
                    " WHERE p.booking_id = $1::uuid AND p.status = 'paid'",
                    booking, expected);
      }
  }
}

static void
assert_invariants (void)
{
  /* Inventory (and coupon uses) equal the live bookings, within capacity. */
  assert_invariant (server->pg);

  /* One ticket set per confirmed booking: seq 1…quantity of each item,
   * of the item's type, no more, no less; none for other bookings. */
  assert_zero ("a confirmed booking without exactly its tickets",
               "SELECT count(*) FROM booking_items i JOIN bookings b ON b.id = i.booking_id"
               " WHERE b.status = 'confirmed'"
               "   AND (SELECT count(*) <> i.quantity OR count(DISTINCT t.seq) <> i.quantity"
               "            OR coalesce(max(t.seq), 0) <> i.quantity"
               "            OR coalesce(bool_or(t.booking_id <> i.booking_id"
               "                             OR t.ticket_type_id <> i.ticket_type_id), false)"
               "          FROM tickets t WHERE t.booking_item_id = i.id AND t.status = 'valid')");
  assert_zero ("a valid ticket of a booking that is not confirmed",
               "SELECT count(*) FROM tickets t JOIN bookings b ON b.id = t.booking_id"
               " WHERE t.status = 'valid' AND b.status <> 'confirmed'");

  /* One entry per ticket per list without re-entry, and only for tickets
   * that are valid. */
  assert_zero ("a ticket admitted twice to a list without re-entry",
               "SELECT count(*) FROM (SELECT c.ticket_id, c.list_id FROM checkins c"
               "   JOIN checkin_lists l ON l.id = c.list_id"
               "  WHERE c.status = 'ok' AND c.kind = 'entry' AND c.undone_at IS NULL"
               "    AND NOT l.allow_reentry"
               "  GROUP BY 1, 2 HAVING count(*) > 1) x");
  assert_zero ("a scan that forgot its list's rule",
               "SELECT count(*) FROM checkins c JOIN checkin_lists l ON l.id = c.list_id"
               " WHERE c.single = l.allow_reentry");
  assert_zero ("an admission of a ticket that is not valid",
               "SELECT count(*) FROM checkins c JOIN tickets t ON t.id = c.ticket_id"
               " WHERE c.status = 'ok' AND t.status <> 'valid'");

  /* Payments agree with their bookings. */
  assert_zero ("a paid payment of a booking that is not confirmed and paid",
               "SELECT count(*) FROM payments p JOIN bookings b ON b.id = p.booking_id"
               " WHERE p.status = 'paid' AND (b.status <> 'confirmed' OR b.paid_at IS NULL"
               "        OR p.paid_at IS NULL OR p.amount <> b.total)");
  assert_zero ("a booking paid twice",
               "SELECT count(*) FROM (SELECT booking_id FROM payments WHERE status = 'paid'"
               "  GROUP BY 1 HAVING count(*) > 1) x");
  assert_zero ("a confirmed card booking without its paid payment",
               "SELECT count(*) FROM bookings b WHERE b.status = 'confirmed' AND b.total > 0"
               "   AND b.payment_method = 'card'"
               "   AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id"
               "                      AND p.status = 'paid')");
  assert_zero ("a pending payment of a booking that no longer waits for it",
               "SELECT count(*) FROM payments p JOIN bookings b ON b.id = p.booking_id"
               " WHERE p.status = 'pending' AND b.status NOT IN ('held', 'pending_payment')");

  assert_charged_once ();
}

/* ------------------------------------------------------------------ */
/* Flash sale: the last tickets of a small type                       */
/* ------------------------------------------------------------------ */

#define SALE_CAPACITY 12

typedef struct
{
  Buyer    *buyer;
  char     *key;
  int       quantity;
  char     *booking;    /* the hold the buyer got */
  gboolean  sold_out;
} SaleOp;

typedef struct
{
  char   *event;
  char   *type;
  SaleOp *ops;
} Sale;

static void
sale_op (Worker *w,
         guint   i)
{
  Sale *sale = w->burst->data;
  SaleOp *op = &sale->ops[i];
  g_autofree char *body = g_strdup_printf (
    "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":%d}]}",
    sale->event, sale->type, op->quantity);
  g_autoptr(Reply) r = call (w, "POST", "/api/v1/bookings", op->buyer, op->key, NULL, body);

  if (r->status == 201 && g_strcmp0 (eva_test_json_string (r->json, "status"), "held") == 0)
    op->booking = g_strdup (eva_test_json_string (r->json, "id"));
  else if (r->status == 409 &&
           g_strcmp0 (eva_test_json_string (r->json, "error.code"), "sold_out") == 0)
    op->sold_out = TRUE;
  else if (r->status != 0)
    problem (w->burst, "hold: %u %s", r->status, r->body);
}

static void
test_flash_sale (gconstpointer data)
{
  Fault fault = GPOINTER_TO_INT (data);
  const guint n_ops = 32;
  g_autofree SaleOp *ops = g_new0 (SaleOp, n_ops);
  g_autofree char *type_json = g_strdup_printf ("{\"name\":\"Last row\",\"price\":2500,"
                                                "\"capacity\":%d}", SALE_CAPACITY);
  Sale sale = { NULL, NULL, ops };
  g_autoptr(EvaTestServer) second = NULL;
  Burst burst;
  gint64 won = 0;
  guint winners = 0, refused = 0;

  sale.event = make_event ("\"payment_methods\":[\"card\"]");
  sale.type = make_type (sale.event, type_json);
  publish (sale.event);
  for (guint i = 0; i < n_ops; i++)
    {
      ops[i].buyer = make_buyer_on (server, "sale", TRUE);
      ops[i].key = g_uuid_string_random ();
      ops[i].quantity = i % 3 == 0 ? 2 : 1;
    }

  burst_init (&burst, fault, sale_op, &sale, n_ops, 24);
  if (fault == FAULT_SERVER)
    {
      second = second_server ();
      burst.targets[1] = second;
      burst.n_targets = 2;
    }
  burst_run (&burst);

  for (guint i = 0; i < n_ops; i++)
    {
      /* Every buyer got an answer: a hold or sold out. */
      g_assert_true ((ops[i].booking != NULL) != ops[i].sold_out);
      if (ops[i].booking != NULL)
        {
          won += ops[i].quantity;
          winners++;
          /* The buyer's one live booking is the hold it was told of. */
          assert_sql (server->pg,
                      "SELECT string_agg(id::text, ',') FROM bookings"
                      " WHERE attendee_id = $1::uuid AND status = 'held'",
                      ops[i].buyer->id, ops[i].booking);
        }
      else
        {
          refused++;
          assert_sql (server->pg, "SELECT count(*) FROM bookings WHERE attendee_id = $1::uuid",
                      ops[i].buyer->id, "0");
        }
    }
  g_test_message ("flash sale: %u holds for %" G_GINT64_FORMAT " of %d tickets, %u sold out",
                  winners, won, SALE_CAPACITY, refused);
  /* Demand was far above capacity: sold out, and no more held than there was. */
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpint (won, <=, SALE_CAPACITY);
  g_assert_cmpint (won, >=, SALE_CAPACITY - 1);
  g_assert_cmpint (sql_int (server->pg, "SELECT held FROM ticket_types WHERE id = $1::uuid",
                            sale.type), ==, won);
  assert_invariants ();

  for (guint i = 0; i < n_ops; i++)
    {
      buyer_free (ops[i].buyer);
      g_free (ops[i].key);
      g_free (ops[i].booking);
    }
  if (second != NULL)
    secondary_free (g_steal_pointer (&second));
  burst_clear (&burst);
  g_free (sale.event);
  g_free (sale.type);
}

/* ------------------------------------------------------------------ */
/* Checkout burst: hold, Checkout, payment, signed webhook            */
/* ------------------------------------------------------------------ */

typedef struct
{
  Buyer    *buyer;
  char     *key;
  int       quantity;
  char     *booking;
  char     *session;
  gboolean  confirmed;
} Order;

typedef struct
{
  char  *event;
  char  *type;
  Order *orders;
} Checkout;

static char *
webhook_url (EvaTestServer *srv)
{
  return g_strconcat (srv->base_url, "/api/v1/payments/stripe/webhook", NULL);
}

/* Sends the event until the server takes it: 503 while the database is
 * down, no answer from the killed process (then to the other one). */
static gboolean
deliver_until_taken (Worker     *w,
                     const char *event_id,
                     JsonNode   *first)
{
  Burst *burst = w->burst;
  gint64 deadline = g_get_monotonic_time () + CALL_DEADLINE_US;
  g_autoptr(JsonNode) result = first != NULL ? json_node_ref (first) : NULL;
  /* Stripe's own delivery goes to the process that is killed, if any. */
  gboolean to_victim = burst->fault == FAULT_SERVER;

  for (;;)
    {
      JsonNode *status = result != NULL ? eva_test_json_get (result, "status") : NULL;
      gint64 code = status != NULL && JSON_NODE_HOLDS_VALUE (status) ? json_node_get_int (status) : 0;
      g_autofree char *url = NULL;
      g_autofree char *body = NULL;
      g_autoptr(JsonNode) out = NULL;

      if (code == 200)
        return TRUE;
      if (code == 503 && burst->fault == FAULT_POSTGRES)
        g_atomic_int_inc (&burst->webhooks_refused);
      else if (code == 0 && to_victim && g_atomic_int_get (&burst->faulted))
        {
          g_atomic_int_inc (&burst->webhooks_refused);
          if (w->target == 1)
            lost_server (w);
        }
      else
        {
          g_autofree char *text = result != NULL ? json_to_string (result, FALSE) : NULL;

          problem (burst, "webhook %s: %s", event_id, text);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          problem (burst, "webhook %s: not taken in time", event_id);
          return FALSE;
        }
      if (code == 503)
        g_usleep (50000);

      url = webhook_url (target_of (w));
      to_victim = w->target == 1;
      body = g_strdup_printf ("{\"event_id\":\"%s\",\"url\":\"%s\"}", event_id, url);
      out = standin (w, "/_standin/deliver", body);
      if (out == NULL)
        return FALSE;
      g_clear_pointer (&result, json_node_unref);
      result = json_node_copy (eva_test_json_get (out, "results.0"));
    }
}

static void
checkout_op (Worker *w,
             guint   i)
{
  Checkout *c = w->burst->data;
  Order *o = &c->orders[i];
  g_autofree char *hold_body = g_strdup_printf (
    "{\"event_id\":\"%s\",\"items\":[{\"ticket_type_id\":\"%s\",\"quantity\":%d}]}",
    c->event, c->type, o->quantity);
  g_autofree char *path = NULL;
  g_autofree char *pay_path = NULL;
  g_autoptr(Reply) held = NULL;
  g_autoptr(Reply) checkout = NULL;
  g_autoptr(Reply) got = NULL;
  g_autoptr(JsonNode) paid = NULL;
  const char *url, *event_id;

  held = call (w, "POST", "/api/v1/bookings", o->buyer, o->key, NULL, hold_body);
  if (held->status != 201)
    {
      if (held->status != 0)
        problem (w->burst, "hold: %u %s", held->status, held->body);
      return;
    }
  o->booking = g_strdup (eva_test_json_string (held->json, "id"));

  path = g_strdup_printf ("/api/v1/me/bookings/%s/checkout", o->booking);
  checkout = call (w, "POST", path, o->buyer, NULL, NULL, "{\"method\":\"card\"}");
  url = checkout->status == 200 ? eva_test_json_string (checkout->json, "checkout_url") : NULL;
  if (url == NULL || strrchr (url, '/') == NULL)
    {
      if (checkout->status != 0)
        problem (w->burst, "checkout: %u %s", checkout->status, checkout->body);
      return;
    }
  o->session = g_strdup (strrchr (url, '/') + 1);

  /* Some buyers pay just as the fault strikes: their webhook meets it. */
  if (i < w->burst->gate && i % 2 == 1)
    park (w);

  /* The buyer pays; Stripe sends the signed event at once. */
  pay_path = g_strdup_printf ("/_standin/sessions/%s/pay", o->session);
  paid = standin (w, pay_path, "{\"deliver\":true}");
  if (paid == NULL)
    return;
  event_id = eva_test_json_string (paid, "events.0.id");
  if (event_id == NULL ||
      !deliver_until_taken (w, event_id, eva_test_json_get (paid, "deliveries.0")))
    return;

  /* Taken means done: the order is confirmed and paid. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/v1/me/bookings/%s", o->booking);
  got = call (w, "GET", path, o->buyer, NULL, NULL, NULL);
  if (got->status == 200 &&
      g_strcmp0 (eva_test_json_string (got->json, "status"), "confirmed") == 0 &&
      eva_test_json_bool (got->json, "paid"))
    o->confirmed = TRUE;
  else if (got->status != 0)
    problem (w->burst, "paid order %s: %u %s", o->booking, got->status, got->body);
}

static void
test_checkout_burst (gconstpointer data)
{
  Fault fault = GPOINTER_TO_INT (data);
  const guint n_ops = 24;
  g_autofree Order *orders = g_new0 (Order, n_ops);
  Checkout c = { NULL, NULL, orders };
  g_autoptr(EvaTestServer) second = NULL;
  g_autofree char *hook = NULL;
  g_autofree char *config = NULL;
  Burst burst;
  gint64 tickets = 0;

  c.event = make_event ("\"payment_methods\":[\"card\"]");
  c.type = make_type (c.event, "{\"name\":\"Standing\",\"price\":2500,\"capacity\":100}");
  publish (c.event);
  for (guint i = 0; i < n_ops; i++)
    {
      orders[i].buyer = make_buyer_on (server, "order", TRUE);
      orders[i].key = g_uuid_string_random ();
      orders[i].quantity = 1 + i % 2;
      tickets += orders[i].quantity;
    }

  burst_init (&burst, fault, checkout_op, &c, n_ops, 16);
  burst.min_parked = 2;
  if (fault == FAULT_SERVER)
    {
      second = second_server ();
      burst.targets[1] = second;
      burst.n_targets = 2;
    }
  /* Stripe sends to the process that is killed, when one is. */
  hook = webhook_url (burst.targets[burst.n_targets - 1]);
  config = g_strdup_printf ("{\"webhook_url\":\"%s\",\"webhook_secrets\":[\"%s\"],"
                            "\"auto_deliver\":true}", hook, WHSEC);
  {
    g_autoptr(JsonNode) out = eva_test_stripe_control (stripe, "POST", "/_standin/config",
                                                       config, NULL);
  }
  burst_run (&burst);

  for (guint i = 0; i < n_ops; i++)
    {
      /* No lost paid order: each is confirmed with its ticket set. */
      g_assert_true (orders[i].confirmed);
      assert_sql (server->pg,
                  "SELECT b.status || ':' || (SELECT count(*) FROM tickets t WHERE t.booking_id = b.id"
                  "   AND t.status = 'valid') FROM bookings b WHERE b.id = $1::uuid",
                  orders[i].booking,
                  orders[i].quantity == 1 ? "confirmed:1" : "confirmed:2");
      /* One booking per buyer, one confirmation. */
      assert_sql (server->pg, "SELECT count(*) FROM bookings WHERE attendee_id = $1::uuid",
                  orders[i].buyer->id, "1");
      assert_sql (server->pg, "SELECT count(*) FROM audit_log WHERE action = 'booking.confirmed'"
                              " AND target_id = $1", orders[i].booking, "1");
    }
  g_assert_cmpint (sql_int (server->pg, "SELECT sold FROM ticket_types WHERE id = $1::uuid",
                            c.type), ==, tickets);
  assert_invariants ();

  for (guint i = 0; i < n_ops; i++)
    {
      buyer_free (orders[i].buyer);
      g_free (orders[i].key);
      g_free (orders[i].booking);
      g_free (orders[i].session);
    }
  if (second != NULL)
    secondary_free (g_steal_pointer (&second));
  burst_clear (&burst);
  g_free (c.event);
  g_free (c.type);
}

/* ------------------------------------------------------------------ */
/* Check-in burst: every ticket scanned twice at two doors            */
/* ------------------------------------------------------------------ */

#define DOOR_TICKETS 30
#define DOOR_SCANS   2     /* per ticket and list, each with its own nonce */

typedef struct
{
  guint     ticket;
  guint     list;
  char     *nonce;
  char     *body;     /* the request */
  char     *answer;   /* the verdict, as sent */
  gboolean  ok;
} Scan;

typedef struct
{
  char **codes;
  char  *lists[2];
  Scan  *scans;
} Doors;

static void
scan_op (Worker *w,
         guint   i)
{
  Doors *d = w->burst->data;
  Scan *s = &d->scans[i];
  g_autoptr(Reply) r = call (w, "POST", "/api/v1/admin/checkin/redeem", NULL, NULL, door, s->body);
  const char *status = r->status == 200 ? eva_test_json_string (r->json, "status") : NULL;

  if (g_strcmp0 (status, "ok") == 0)
    s->ok = TRUE;
  else if (g_strcmp0 (status, "rejected") != 0 ||
           g_strcmp0 (eva_test_json_string (r->json, "reason"), "already_checked_in") != 0)
    {
      if (r->status != 0)
        problem (w->burst, "redeem: %u %s", r->status, r->body);
      return;
    }
  s->answer = g_strdup (r->body);
}

static void
test_checkin_burst (gconstpointer data)
{
  Fault fault = GPOINTER_TO_INT (data);
  const guint n_ops = DOOR_TICKETS * 2 * DOOR_SCANS;
  g_autofree Scan *scans = g_new0 (Scan, n_ops);
  g_autoptr(GStrvBuilder) codes = g_strv_builder_new ();
  g_autoptr(EvaTestServer) second = NULL;
  g_autofree char *event = make_event ("\"payment_methods\":[\"card\"]");
  g_autofree char *type = make_type (event, "{\"name\":\"Free\",\"price\":0,\"capacity\":200}");
  g_autofree char *lists_path = g_strdup_printf ("/api/v1/admin/events/%s/checkin-lists", event);
  Doors d = { NULL, { NULL, NULL }, scans };
  Burst burst;

  publish (event);
  /* Five buyers of six free tickets each: confirmed at once. */
  for (guint b = 0; b < DOOR_TICKETS / 6; b++)
    {
      g_autoptr(Buyer) buyer = make_buyer_on (server, "guest", TRUE);
      g_autofree char *booking = hold_id (buyer, event, type, 6);

      for (guint seq = 1; seq <= 6; seq++)
        {
          g_autofree char *n = g_strdup_printf ("%u", seq);
          g_autofree char *code = eva_test_sql (server->pg,
                                                "SELECT code FROM tickets WHERE booking_id = $1::uuid"
                                                " AND status = 'valid' AND seq = $2::int",
                                                booking, n, NULL);

          g_assert_nonnull (code);
          g_strv_builder_add (codes, code);
        }
    }
  d.codes = g_strv_builder_end (codes);
  {
    g_autoptr(EvaTestResponse) lists = admin ("GET", lists_path, NULL);
    g_autoptr(EvaTestResponse) hall = admin ("POST", lists_path, "{\"name\":\"Hall B\"}");

    eva_test_assert_status (lists, 200);
    eva_test_assert_status (hall, 201);
    d.lists[0] = g_strdup (eva_test_json_string (lists->json, "items.0.id"));
    d.lists[1] = g_strdup (eva_test_json_string (hall->json, "id"));
  }

  /* Every ticket at both lists, twice, in random order: the two scans of
   * one ticket race each other. */
  for (guint i = 0; i < n_ops; i++)
    {
      scans[i].ticket = i / (2 * DOOR_SCANS);
      scans[i].list = (i / DOOR_SCANS) % 2;
    }
  for (guint i = n_ops - 1; i > 0; i--)
    {
      guint j = g_random_int_range (0, i + 1);
      Scan tmp = scans[i];

      scans[i] = scans[j];
      scans[j] = tmp;
    }
  for (guint i = 0; i < n_ops; i++)
    {
      scans[i].nonce = g_uuid_string_random ();
      scans[i].body = g_strdup_printf ("{\"code\":\"%s\",\"list_id\":\"%s\",\"nonce\":\"%s\","
                                       "\"type\":\"entry\"}", d.codes[scans[i].ticket],
                                       d.lists[scans[i].list], scans[i].nonce);
    }

  burst_init (&burst, fault, scan_op, &d, n_ops, 24);
  if (fault == FAULT_SERVER)
    {
      second = second_server ();
      burst.targets[1] = second;
      burst.n_targets = 2;
    }
  burst_run (&burst);

  /* Exactly one admission per ticket and list, as the doors were told
   * and as the database has it. */
  for (guint t = 0; t < DOOR_TICKETS; t++)
    for (guint l = 0; l < 2; l++)
      {
        guint ok = 0;

        for (guint i = 0; i < n_ops; i++)
          if (scans[i].ticket == t && scans[i].list == l)
            {
              g_assert_nonnull (scans[i].answer);
              ok += scans[i].ok;
            }
        g_assert_cmpuint (ok, ==, 1);
        {
          g_autofree char *n = eva_test_sql (server->pg,
                                             "SELECT count(*) FROM checkins c JOIN tickets t"
                                             "    ON t.id = c.ticket_id"
                                             " WHERE t.code = $1 AND c.list_id = $2::uuid"
                                             "   AND c.status = 'ok' AND c.kind = 'entry'"
                                             "   AND c.undone_at IS NULL",
                                             d.codes[t], d.lists[l], NULL);

          g_assert_cmpstr (n, ==, "1");
        }
      }
  /* Every scan counted once, whatever its retries. */
  g_assert_cmpint (sql_int (server->pg, "SELECT count(*) FROM checkins WHERE event_id = $1::uuid",
                            event), ==, n_ops);

  /* A door that sends a scan again after the outage gets the same verdict. */
  for (guint i = 0; i < n_ops; i += 3)
    {
      g_autoptr(EvaTestResponse) again = eva_test_request (server, "POST",
                                                           "/api/v1/admin/checkin/redeem", door,
                                                           "application/json", scans[i].body, -1);

      eva_test_assert_status (again, 200);
      g_assert_cmpstr (again->body, ==, scans[i].answer);
    }
  assert_invariants ();

  for (guint i = 0; i < n_ops; i++)
    {
      g_free (scans[i].nonce);
      g_free (scans[i].body);
      g_free (scans[i].answer);
    }
  g_strfreev (d.codes);
  g_free (d.lists[0]);
  g_free (d.lists[1]);
  if (second != NULL)
    secondary_free (g_steal_pointer (&second));
  burst_clear (&burst);
}

/* ------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  const char *secrets[] = { WHSEC, NULL };
  g_autofree char *saved_pg = g_strdup (g_getenv ("EVERATO_TEST_PG"));
  g_autofree char *conninfo = NULL;
  g_autoptr(GError) error = NULL;
  GPid guard_pid;
  int guard_fd;
  int status;
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* The cluster's processes become ours when their parent dies, so a
   * killed postmaster can be reaped and the cluster started again. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  cluster_dir = g_dir_make_tmp ("everato-faults-XXXXXX", &error);
  g_assert_no_error (error);
  cluster_port = g_strdup_printf ("%u", 20000 + g_random_int_range (0, 20000));
  guard_fd = start_cluster_guard (&guard_pid);
  g_assert_cmpint (pg_cluster ("start"), ==, 0);
  conninfo = g_strdup_printf ("host=%s/run port=%s user=everato dbname=postgres",
                              cluster_dir, cluster_port);
  g_setenv ("EVERATO_TEST_PG", conninfo, TRUE);

  stripe = eva_test_stripe_start (SECRET_KEY, secrets);
  stripe_base_env = g_strdup_printf ("EVERATO_STRIPE_API_BASE=%s", eva_test_stripe_base_url (stripe));
  {
    const char *env[] = {
      "EVERATO_STRIPE_SECRET_KEY=" SECRET_KEY, stripe_base_env,
      "EVERATO_STRIPE_WEBHOOK_SECRET=" WHSEC, NULL,
    };

    server = eva_test_server_start (env);
  }
  organizer = eva_test_token_for_role (server, "organizer");
  door = eva_test_token_for_role (server, "door_staff");

  g_test_add_data_func ("/faults-db/postgres-killed/flash-sale",
                        GINT_TO_POINTER (FAULT_POSTGRES), test_flash_sale);
  g_test_add_data_func ("/faults-db/postgres-killed/checkout",
                        GINT_TO_POINTER (FAULT_POSTGRES), test_checkout_burst);
  g_test_add_data_func ("/faults-db/postgres-killed/checkin",
                        GINT_TO_POINTER (FAULT_POSTGRES), test_checkin_burst);
  g_test_add_data_func ("/faults-db/server-killed/flash-sale",
                        GINT_TO_POINTER (FAULT_SERVER), test_flash_sale);
  g_test_add_data_func ("/faults-db/server-killed/checkout",
                        GINT_TO_POINTER (FAULT_SERVER), test_checkout_burst);
  g_test_add_data_func ("/faults-db/server-killed/checkin",
                        GINT_TO_POINTER (FAULT_SERVER), test_checkin_burst);

  ret = g_test_run ();

  g_free (organizer);
  g_free (door);
  eva_test_server_free (server);
  eva_test_stripe_stop (stripe);
  g_free (stripe_base_env);
  g_assert_cmpint (pg_cluster ("stop"), ==, 0);
  g_setenv ("EVERATO_TEST_PG", saved_pg, TRUE);
  /* The guard removes the cluster's folder. */
  close (guard_fd);
  g_assert_cmpint (waitpid (guard_pid, &status, 0), ==, guard_pid);
  g_assert_false (g_file_test (cluster_dir, G_FILE_TEST_EXISTS));
  g_free (cluster_dir);
  g_free (cluster_port);
  return ret;
}
