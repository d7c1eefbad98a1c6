#!/usr/bin/python3
# check-ics.py FILE.ics: parses an iCalendar file with the icalendar
# package and prints, as JSON, the event's start and end in UTC, its
# TZID, summary, location, status, and whether the file's own VTIMEZONE
# gives the same UTC offsets at start and end as the system's tz database.
#
# SPDX-License-Identifier: AGPL-3.0-or-later
import datetime
import json
import sys
import zoneinfo

import icalendar


def observed_offset(vtz, local):
    """The UTC offset the VTIMEZONE gives for the naive local time."""
    best = None
    for sub in vtz.subcomponents:
        start = sub["DTSTART"].dt
        if start <= local and (best is None or start > best[0]):
            best = (start, sub["TZOFFSETTO"].td)
    return best[1] if best else None


def main():
    with open(sys.argv[1], "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    events = [c for c in cal.walk("VEVENT")]
    vtzs = {str(c["TZID"]): c for c in cal.walk("VTIMEZONE")}
    ev = events[0]
    start, end = ev["DTSTART"], ev["DTEND"]
    tzid = start.params.get("TZID")
    out = {"events": len(events), "tzid": tzid, "summary": str(ev["SUMMARY"]),
           "location": str(ev.get("LOCATION", "")), "status": str(ev.get("STATUS", "")),
           "uid": str(ev["UID"])}
    if tzid:
        zone = zoneinfo.ZoneInfo(tzid)
        local_start = start.dt.replace(tzinfo=None)
        local_end = end.dt.replace(tzinfo=None)
        vtz = vtzs[tzid]
        own = [observed_offset(vtz, local_start), observed_offset(vtz, local_end)]
        real = [local_start.replace(tzinfo=zone).utcoffset(), local_end.replace(tzinfo=zone).utcoffset()]
        out["vtimezone_agrees"] = own == real
        out["start_utc"] = (local_start - own[0]).strftime("%Y-%m-%dT%H:%M:%SZ")
        out["end_utc"] = (local_end - own[1]).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        out["start_utc"] = start.dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out["end_utc"] = end.dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
