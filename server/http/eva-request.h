/* eva-request.h: one HTTP request on its way through the server
 *
 * SPDX-License-Identifier: AGPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "eva-common.h"
#include "db/eva-db.h"
#include "core/eva-config.h"
#include "core/eva-roles.h"

G_BEGIN_DECLS

typedef struct _EvaRequest EvaRequest;
typedef struct _EvaRoute   EvaRoute;
typedef struct _EvaRouter  EvaRouter;

/* What requests need from the process that serves them. The server (app/)
 * fills one in and hands it to every request, so nothing below app/ ever
 * reaches up for the server itself. */
typedef struct
{
  EvaConfig       *config;
  EvaDb           *db;
  const guint8    *token_key;     /* 32 bytes: the access-token HMAC key; atomic */
  const EvaRouter *router;
  guint            db_queue_max;    /* jobs waiting for the pool; 0: no bound */
  GThreadPool     *hash_pool;       /* argon2id runs here, never on the database pool */
  gint            *closing;         /* set once the pools are being shut down */
  guint            hash_queue_max;
  GThreadPool     *gateway_pool;    /* calls to the payment provider (services/stripe.c) */
  guint            gateway_queue_max;
  /* Called on the request's thread once its reply is applied. */
  void           (*request_done) (gpointer    owner,
                                  EvaRequest *req);
  gpointer         owner;
} EvaHost;

struct _EvaRequest
{
  gatomicrefcount     ref_count;
  const EvaHost      *host;
  SoupServerMessage  *msg;
  GMainContext       *context;
  const EvaRoute     *route;
  char               *request_id;
  char               *method;
  char               *path;
  char               *client_ip;      /* the peer, or the client a trusted proxy names */
  GHashTable         *params;       /* path parameters */
  GHashTable         *query;        /* decoded query string, may be NULL */
  JsonNode           *json;         /* parsed body, when the route takes one */
  gint64              started_us;

  /* Who is calling (after authentication). */
  EvaRole             role;
  char               *principal_id;
  char               *session_id;

  /* The reply, filled in on any thread, applied on the request's thread. */
  guint               status;
  char               *content_type;
  GBytes             *reply_body;
  GPtrArray          *reply_headers;  /* name, value, name, value, … */
  char               *cache_key;      /* set while refreshing a cached reply */
  gpointer            client_socket;  /* the GSocket, for the server's bookkeeping */
  gpointer            state;          /* a handler's, across its stages */
  GDestroyNotify      state_free;
  guint               pending : 1;
  guint               finished : 1;
  guint               https : 1;      /* a trusted proxy says the client used https */
};

/* Work that a handler sends to the database pool. It replies through
 * eva_request_reply_*() and must not touch req->msg. */
typedef void (*EvaRequestWork) (EvaRequest *req,
                                EvaDbConn  *conn,
                                gpointer    data);

/* What eva_request_run_then() does next, back on the request's thread. */
typedef void (*EvaRequestThen) (EvaRequest *req);

/* Password work (argon2id) that a handler sends to the hashing pool; it
 * gets the request's state (eva_request_set_state()). */
typedef void (*EvaRequestHash) (EvaRequest *req,
                                gpointer    state);

EvaRequest *eva_request_new             (const EvaHost     *host,
                                         SoupServerMessage *msg,
                                         const char        *path,
                                         GHashTable        *query);
EvaRequest *eva_request_ref             (EvaRequest        *req);
void        eva_request_unref           (EvaRequest        *req);

EvaConfig    *eva_request_get_config    (EvaRequest        *req);
EvaDb        *eva_request_get_db        (EvaRequest        *req);
const guint8 *eva_request_get_token_key (EvaRequest        *req);

const char *eva_request_param           (EvaRequest        *req,
                                         const char        *name);
const char *eva_request_query           (EvaRequest        *req,
                                         const char        *name);
const char *eva_request_header          (EvaRequest        *req,
                                         const char        *name);
/* The value of the cookie @name the request carries, or NULL (also when
 * empty). Free with g_free(). */
char       *eva_request_cookie          (EvaRequest        *req,
                                         const char        *name);

void        eva_request_run             (EvaRequest        *req,
                                         EvaRequestWork     work,
                                         gpointer           data,
                                         GDestroyNotify     data_free);
/* The same, but when the work leaves the reply unset (status 0), @then is
 * called on the request's thread instead of finishing the request; it may
 * reply at once or hand on more work with eva_request_run(). A work that
 * replies finishes the request as usual. */
void        eva_request_run_then        (EvaRequest        *req,
                                         EvaRequestWork     work,
                                         gpointer           data,
                                         GDestroyNotify     data_free,
                                         EvaRequestThen     then);
/* What a one-second public read says to proxies: keep it a second, and
 * serve it a few more while one request fetches the next. */
#define EVA_PUBLIC_CACHE_CONTROL "public, max-age=1, stale-while-revalidate=5"

/* The same, for anonymous reads whose 200 replies may be served from a
 * per-process cache for ttl_ms (see eva-cache.c); a proxy in front may
 * keep them as long (Cache-Control: public, max-age, stale-while-revalidate). */
void        eva_request_run_cached      (EvaRequest        *req,
                                         guint              ttl_ms,
                                         EvaRequestWork     work,
                                         gpointer           data,
                                         GDestroyNotify     data_free);
/* Runs @hash on the small hashing pool (never the database pool, so
 * bookings never wait behind password hashing, and at most
 * EVERATO_HASH_WORKERS × 64 MiB are in use for it); then @then on the
 * request's thread unless @hash replied. A full queue is 503 server_busy. */
void        eva_request_run_hash        (EvaRequest        *req,
                                         EvaRequestHash     hash,
                                         EvaRequestThen     then);
/* The same for calls to the payment provider: @call runs on the gateway
 * pool (threads that mostly wait on the network), then @then. */
void        eva_request_run_gateway     (EvaRequest        *req,
                                         EvaRequestHash     call,
                                         EvaRequestThen     then);
/* The hashing pool for EvaHost.hash_pool: @workers threads. Also makes
 * EvaHost.gateway_pool. */
GThreadPool *eva_request_hash_pool_new  (guint              workers);
/* State a handler keeps across its stages; freed with the request. */
void        eva_request_set_state       (EvaRequest        *req,
                                         gpointer           state,
                                         GDestroyNotify     state_free);
gpointer    eva_request_get_state       (EvaRequest        *req);
void        eva_request_finish          (EvaRequest        *req);

/* Replies. Safe from any thread; the last one wins. */
void        eva_request_reply_raw       (EvaRequest        *req,
                                         guint              status,
                                         const char        *content_type,
                                         GBytes            *body);
void        eva_request_reply_json_text (EvaRequest        *req,
                                         guint              status,
                                         const char        *json);
void        eva_request_reply_json      (EvaRequest        *req,
                                         guint              status,
                                         JsonNode          *node);
void        eva_request_reply_empty     (EvaRequest        *req,
                                         guint              status);
void        eva_request_reply_error     (EvaRequest        *req,
                                         guint              status,
                                         const char        *code,
                                         JsonObject        *details,
                                         const char        *format,
                                         ...) G_GNUC_PRINTF (5, 6);
/* Maps an EVA_ERROR to its HTTP status and envelope. */
void        eva_request_reply_gerror    (EvaRequest        *req,
                                         const GError      *error);
/* 401 invalid_token: the sign-in this staff token was issued for has
 * ended (logout, disabled account, password change). */
void        eva_request_reply_signed_out (EvaRequest       *req);
void        eva_request_add_header      (EvaRequest        *req,
                                         const char        *name,
                                         const char        *value);

/* ------------------------------------------------------------------ */
/* Input: "…or reply" helpers                                          */
/* ------------------------------------------------------------------ */

typedef enum
{
  EVA_FIELD_OPTIONAL = 0,
  EVA_FIELD_REQUIRED = 1 << 0,
  EVA_FIELD_NULLABLE = 1 << 1,   /* JSON null is accepted and means "clear" */
  EVA_FIELD_MULTILINE = 1 << 2,  /* strings: newlines and tabs allowed */
  EVA_FIELD_EMPTY = 1 << 3,      /* strings: "" allowed */
} EvaFieldFlags;

typedef struct
{
  EvaRequest *req;
  JsonObject *object;
  JsonObject *errors;
  GHashTable *seen;
} EvaInput;

/* Present / null state of an optional field, for PATCH. */
typedef enum
{
  EVA_FIELD_ABSENT = 0,
  EVA_FIELD_NULL,
  EVA_FIELD_SET,
} EvaFieldState;

gboolean      eva_input_begin   (EvaInput      *in,
                                 EvaRequest    *req);
gboolean      eva_input_end     (EvaInput      *in);
void          eva_input_clear   (EvaInput      *in);
void          eva_input_error   (EvaInput      *in,
                                 const char    *field,
                                 const char    *message);
gboolean      eva_input_ok      (EvaInput      *in,
                                 const char    *field);
EvaFieldState eva_input_string  (EvaInput      *in,
                                 const char    *field,
                                 EvaFieldFlags  flags,
                                 guint          max_chars,
                                 const char   **out);
EvaFieldState eva_input_int     (EvaInput      *in,
                                 const char    *field,
                                 EvaFieldFlags  flags,
                                 gint64         min,
                                 gint64         max,
                                 gint64        *out);
EvaFieldState eva_input_bool    (EvaInput      *in,
                                 const char    *field,
                                 EvaFieldFlags  flags,
                                 gboolean      *out);
EvaFieldState eva_input_time    (EvaInput      *in,
                                 const char    *field,
                                 EvaFieldFlags  flags,
                                 GDateTime    **out);

/* A list of at most @max distinct ids (any case): *@literal is a
 * PostgreSQL uuid[] literal of their canonical forms ("{…}"), *@n how
 * many. EVA_FIELD_ABSENT when the field is missing; a problem is recorded
 * as the field's error (and *@literal may be partial). */
EvaFieldState eva_input_uuid_list (EvaInput    *in,
                                   const char  *field,
                                   guint        max,
                                   char       **literal,
                                   guint       *n);

/* Query string: parse an integer in [min,max] or reply 400. */
gboolean      eva_query_int     (EvaRequest    *req,
                                 const char    *name,
                                 gint64         min,
                                 gint64         max,
                                 gint64         def,
                                 gint64        *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EvaRequest, eva_request_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EvaInput, eva_input_clear)

G_END_DECLS
