-- 0007_tickets: one signed ticket per admitted person (docs/ticket-codes.md).
--
-- A confirmed booking gets, for each of its items, tickets 1…quantity
-- (seq); at most one valid ticket per item and seq, so issuing again
-- issues nothing. A booking that stops being confirmed (cancelled,
-- refunded) revokes its valid tickets, whoever changed it.
--
-- The migration runner wraps this file in a transaction.

ALTER TABLE tickets
    ADD COLUMN seq int NOT NULL DEFAULT 1,
    ADD CONSTRAINT tickets_seq_check CHECK (seq >= 1),
    ADD CONSTRAINT tickets_revoked_check CHECK ((status = 'valid') = (revoked_at IS NULL));
ALTER TABLE tickets ALTER COLUMN seq DROP DEFAULT;
CREATE UNIQUE INDEX tickets_item_seq_valid_key ON tickets (booking_item_id, seq)
    WHERE status = 'valid';

ALTER TABLE signing_keys
    ADD CONSTRAINT signing_keys_retired_after_created CHECK (retired_at IS NULL OR retired_at >= created_at);

CREATE FUNCTION eva_revoke_tickets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET status = 'cancelled', revoked_at = now()
     WHERE booking_id = NEW.id AND status = 'valid';
    RETURN NULL;
END
$$;

CREATE TRIGGER bookings_revoke_tickets
    AFTER UPDATE OF status ON bookings
    FOR EACH ROW
    WHEN (OLD.status = 'confirmed' AND NEW.status <> 'confirmed')
    EXECUTE FUNCTION eva_revoke_tickets();

-- A ticket as its holder and the organizer see it.
CREATE FUNCTION eva_ticket_json(t tickets) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET TimeZone TO 'UTC'
AS $$
    SELECT jsonb_build_object(
        'id',               t.id,
        'booking_id',       t.booking_id,
        'event_id',         t.event_id,
        'ticket_type_id',   t.ticket_type_id,
        'ticket_type',      (SELECT tt.name FROM ticket_types tt WHERE tt.id = t.ticket_type_id),
        'seq',              t.seq,
        'holder_name',      t.holder_name,
        'code',             t.code,
        'key_id',           t.key_id,
        'status',           t.status,
        'issued_at',        t.issued_at,
        'revoked_at',       t.revoked_at)
$$;
