DROP INDEX bookings_confirmed_idx;
ALTER TABLE bookings DROP COLUMN tickets_mailed_at;
