DROP FUNCTION eva_ticket_json(tickets);
DROP TRIGGER bookings_revoke_tickets ON bookings;
DROP FUNCTION eva_revoke_tickets();
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_retired_after_created;
DROP INDEX tickets_item_seq_valid_key;
DELETE FROM tickets;
ALTER TABLE tickets
    DROP CONSTRAINT tickets_revoked_check,
    DROP CONSTRAINT tickets_seq_check,
    DROP COLUMN seq;
