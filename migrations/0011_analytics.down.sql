DROP INDEX checkins_event_entries_idx;
DROP INDEX booking_items_booking_sums_idx;
DROP INDEX bookings_event_sold_idx;
DROP FUNCTION eva_analytics_bucket(timestamptz, text, text);
