-- Back to 0012's row trigger; 0010's redeem function was kept.

DROP TRIGGER checkins_webhook ON checkins;
DROP FUNCTION eva_webhook_checkins_trigger();
CREATE FUNCTION eva_webhook_checkin_trigger() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone TO 'UTC'
AS $$
BEGIN
    IF NEW.status = 'ok' AND eva_webhook_wanted('checkin.created') THEN
        PERFORM eva_webhook_emit('checkin.created', jsonb_build_object(
            'checkin', jsonb_build_object(
                'id', NEW.id, 'event_id', NEW.event_id, 'list_id', NEW.list_id,
                'ticket_id', NEW.ticket_id, 'type', NEW.kind, 'forced', NEW.forced,
                'scanned_at', NEW.scanned_at, 'device_id', NEW.device_id),
            'ticket', eva_webhook_ticket_json(NEW.ticket_id)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER checkins_webhook AFTER INSERT ON checkins
    FOR EACH ROW EXECUTE FUNCTION eva_webhook_checkin_trigger();

DROP FUNCTION eva_checkin_redeem_batch(text[], uuid[], uuid[], text[], timestamptz[], boolean[],
                                       uuid[], uuid[], uuid[], text[]);
