DROP FUNCTION eva_checkin_redeem(text, uuid, uuid, text, timestamptz, boolean, uuid, uuid);
DROP FUNCTION eva_checkin_ticket_json(tickets);
DROP INDEX attendees_lower_email_prefix_idx;
DROP INDEX attendees_lower_name_idx;
DROP INDEX bookings_event_reference_idx;
DROP INDEX tickets_code_prefix_idx;
DROP INDEX tickets_event_holder_idx;
DROP INDEX tickets_event_changed_idx;
DROP TRIGGER tickets_set_changed_at ON tickets;
DROP FUNCTION eva_ticket_changed();
ALTER TABLE tickets DROP COLUMN changed_at;
DROP TABLE checkins;
CREATE TABLE checkins (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ticket_id    uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    list_id      uuid NOT NULL REFERENCES checkin_lists (id) ON DELETE CASCADE,
    staff_id     uuid REFERENCES staff (id) ON DELETE SET NULL,
    device_id    text,
    client_nonce text NOT NULL,
    scanned_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkins_client_nonce_key UNIQUE (client_nonce),
    CONSTRAINT checkins_ticket_list_key UNIQUE (ticket_id, list_id)
);
CREATE INDEX checkins_list_scanned_idx ON checkins (list_id, scanned_at);
CREATE INDEX checkins_staff_idx ON checkins (staff_id);
DROP TABLE checkin_devices;
DROP TRIGGER events_default_checkin_list ON events;
DROP FUNCTION eva_default_checkin_list();
DROP TRIGGER checkin_lists_set_updated_at ON checkin_lists;
DROP INDEX checkin_lists_default_key;
DELETE FROM checkin_lists WHERE is_default;
ALTER TABLE checkin_lists
    DROP CONSTRAINT checkin_lists_window_check,
    DROP CONSTRAINT checkin_lists_name_length,
    DROP COLUMN updated_at,
    DROP COLUMN is_default,
    DROP COLUMN closes_at,
    DROP COLUMN opens_at,
    DROP COLUMN allow_reentry,
    DROP COLUMN allow_unpaid,
    DROP COLUMN ticket_type_ids,
    DROP COLUMN all_types;
