-- Reverts 0001_init.up.sql, in reverse order of creation.
-- The migration runner wraps this file in a transaction.

DROP FUNCTION eva_staff_json(staff);
DROP FUNCTION eva_ticket_type_json(ticket_types);
DROP FUNCTION eva_event_json(events);

DROP TABLE audit_log;
DROP TABLE email_outbox;
DROP TABLE checkins;
DROP TABLE checkin_lists;
DROP TABLE tickets;
DROP TABLE signing_keys;
DROP TABLE payments;
DROP TABLE booking_items;
DROP TABLE bookings;
DROP TABLE coupon_ticket_types;
DROP TABLE coupons;
DROP TABLE ticket_types;
DROP TABLE events;
DROP TABLE attendee_tokens;
DROP TABLE attendee_sessions;
DROP TABLE attendees;
DROP TABLE rate_limits;
DROP TABLE staff_sessions;
DROP TABLE staff;
DROP TABLE server_keys;

DROP FUNCTION eva_set_updated_at();
