DROP FUNCTION eva_coupon_json(coupons);
DROP FUNCTION eva_booking_json(bookings);
DROP INDEX bookings_attendee_event_idx;
ALTER TABLE bookings DROP COLUMN coupon_code;
