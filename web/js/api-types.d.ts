// api-types.d.ts: the API's payloads, one type per schema of
// docs/openapi.yaml (components/schemas). Made by scripts/openapi-gen.py:
// do not edit; change the document and run the script.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

/** Every error. `details` is an object; for validation_failed it has one message per field. */
export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    /** For people; not for programs to match. */
    message: string;
    details: Record<string, unknown>;
  };
}

/** What went wrong, for programs to match. Each route's responses say which codes it gives. */
export type ErrorCode = 'account_deleted' | 'account_disabled' | 'already_undone' | 'amount_mismatch' | 'amount_too_large' | 'bad_signature' | 'cannot_change_self' | 'capacity_below_committed' | 'code_taken' | 'conflict' | 'coupon_exhausted' | 'coupon_invalid' | 'coupon_min_order' | 'csrf_failed' | 'currency_locked' | 'currency_required' | 'database_unavailable' | 'default_list' | 'email_not_verified' | 'email_taken' | 'event_incomplete' | 'event_locked' | 'event_not_deletable' | 'event_not_on_sale' | 'event_not_published' | 'forbidden' | 'gateway_error' | 'gateway_unavailable' | 'hidden_type' | 'idempotency_key_reused' | 'internal_error' | 'invalid_credentials' | 'invalid_json' | 'invalid_query' | 'invalid_refresh_token' | 'invalid_request' | 'invalid_token' | 'invalid_transition' | 'last_super_admin' | 'list_in_use' | 'master_key_changed' | 'max_per_attendee' | 'max_per_order' | 'max_uses_below_uses' | 'method_not_allowed' | 'method_not_offered' | 'migrations_pending' | 'name_taken' | 'no_tickets' | 'not_found' | 'not_refundable' | 'password_required' | 'payload_too_large' | 'sales_closed' | 'server_busy' | 'shutting_down' | 'slug_taken' | 'sold_out' | 'ticket_revoked' | 'ticket_type_in_use' | 'too_late' | 'too_many_attempts' | 'too_many_holds' | 'unauthorized' | 'unknown_ticket_type' | 'unsupported_media_type' | 'unverified_account' | 'validation_failed' | 'webhook_disabled';

export interface Health {
  status: 'ok';
}

export interface Ready {
  status: 'ready';
  /** The newest migration applied. */
  schema_version: number;
}

export type Role = 'super_admin' | 'organizer' | 'door_staff';

export interface Staff {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  disabled_at: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
  /** On create only, when the server generated the password; shown once. */
  password?: string;
}

export interface StaffInput {
  email: string;
  name?: string;
  role?: Role;
  /** At most 1024 bytes; generated and returned once when omitted. */
  password?: string;
}

export interface StaffUpdate {
  name?: string;
  role?: Role;
  password?: string;
  disabled?: boolean;
}

export interface StaffList {
  items: Staff[];
  total: number;
  next_cursor: string | null;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  /** Seconds until the access token expires (at most 900). */
  expires_in: number;
  staff: Staff;
}

export type AttendeeStatus = 'unverified' | 'active' | 'disabled' | 'deleted';

/** An attendee account as the attendee sees it (sign-in and /me add csrf_token). */
export interface Attendee {
  id: string;
  email: string;
  name: string;
  locale: string;
  status: AttendeeStatus;
  email_verified: boolean;
  created_at: string;
  /** On sign-in and GET /api/v1/me only. */
  csrf_token?: string;
}

/** An attendee account as organizers see it; single reads add booking counts. */
export interface AttendeeAdmin {
  id: string;
  email: string;
  name: string;
  locale: string;
  status: AttendeeStatus;
  email_verified: boolean;
  email_verified_at: string | null;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  deleted_at: string | null;
  /** Bookings per status and in all (single reads only). */
  bookings?: {
    total: number;
    held: number;
    pending_payment: number;
    confirmed: number;
    expired: number;
    cancelled: number;
    refunded: number;
  };
}

export interface AttendeeList {
  items: AttendeeAdmin[];
  total: number;
  next_cursor: string | null;
}

/** The same answer whether or not the email is known. */
export interface Accepted {
  status: string;
  message: string;
}

export interface OutboxMail {
  id: number;
  to_address: string;
  template: string;
  locale: string;
  status: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  created_at: string;
  sent_at: string | null;
}

export interface OutboxList {
  items: OutboxMail[];
  total: number;
  next_cursor: string | null;
}

export type EventStatus = 'draft' | 'published' | 'cancelled' | 'archived';

export type PaymentMethod = 'card' | 'bank_transfer' | 'at_door';

export interface Event {
  id: string;
  slug: string;
  title: string;
  description: string;
  venue: string;
  address: string;
  timezone: string;
  starts_at: string;
  ends_at: string;
  status: EventStatus;
  currency: string | null;
  hold_minutes: number;
  cancellation_hours: number;
  /** What one attendee may book of each ticket type that sets no max_per_attendee of its own. */
  max_tickets_per_attendee: number;
  /** Admin reads: the methods the organizer switched on. Public reads: the methods offered now (card only when the server has a Stripe key, bank_transfer only when the event or the server has account details). */
  payment_methods: PaymentMethod[];
  /** Account details for bank transfers; null uses the server's EVERATO_TRANSFER_DETAILS. */
  transfer_details: string | null;
  transfer_days: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  /** On single-event reads only. */
  ticket_types?: TicketType[];
}

export interface EventInput {
  title?: string;
  /** Derived from the title when omitted. */
  slug?: string;
  description?: string;
  venue?: string;
  address?: string;
  /** An IANA time zone name. */
  timezone?: string;
  starts_at?: string;
  /** After starts_at. */
  ends_at?: string;
  /** ISO 4217; locked once the event has bookings. */
  currency?: string | null;
  hold_minutes?: number;
  cancellation_hours?: number;
  max_tickets_per_attendee?: number;
  payment_methods?: PaymentMethod[];
  transfer_details?: string | null;
  transfer_days?: number;
}

export interface EventList {
  items: Event[];
  total: number;
  next_cursor: string | null;
}

/** A published event in the public list, with its price range and availability. */
export interface PublicEventSummary {
  id: string;
  slug: string;
  title: string;
  description: string;
  venue: string;
  address: string;
  timezone: string;
  starts_at: string;
  ends_at: string;
  status: EventStatus;
  currency: string | null;
  hold_minutes: number;
  cancellation_hours: number;
  max_tickets_per_attendee: number;
  payment_methods: PaymentMethod[];
  transfer_details: string | null;
  transfer_days: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  price_min: number | null;
  price_max: number | null;
  available: number;
  /** The sum of the visible ticket types' capacity. */
  capacity: number;
  sold_out: boolean;
}

/** A published (or cancelled) event with its visible ticket types and live availability. */
export interface PublicEvent {
  id: string;
  slug: string;
  title: string;
  description: string;
  venue: string;
  address: string;
  timezone: string;
  starts_at: string;
  ends_at: string;
  status: EventStatus;
  currency: string | null;
  hold_minutes: number;
  cancellation_hours: number;
  max_tickets_per_attendee: number;
  payment_methods: PaymentMethod[];
  transfer_details: string | null;
  transfer_days: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  price_min: number | null;
  price_max: number | null;
  available: number;
  /** The sum of the visible ticket types' capacity. */
  capacity: number;
  sold_out: boolean;
  /** The visible ticket types (and none of held and sold). */
  ticket_types: TicketType[];
}

export interface PublicEventList {
  items: PublicEventSummary[];
  total: number;
  next_cursor: string | null;
}

/** Public reads leave out held and sold. */
export interface TicketType {
  id: string;
  event_id: string;
  name: string;
  description: string;
  /** Minor units of the event currency. */
  price: number;
  currency: string | null;
  capacity: number;
  /** Admin reads only. */
  held?: number;
  /** Admin reads only. */
  sold?: number;
  /** capacity - held - sold */
  available: number;
  sales_start: string | null;
  sales_end: string | null;
  max_per_order: number;
  max_per_attendee: number | null;
  hidden: boolean;
  sort_order: number;
  on_sale: boolean;
  created_at: string;
  updated_at: string;
}

export interface TicketTypeInput {
  name?: string;
  description?: string;
  price?: number;
  /** Never below held + sold. */
  capacity?: number;
  sales_start?: string | null;
  sales_end?: string | null;
  max_per_order?: number;
  max_per_attendee?: number | null;
  hidden?: boolean;
  sort_order?: number;
}

export interface TicketTypeList {
  items: TicketType[];
}

export interface BasketItem {
  ticket_type_id: string;
  quantity: number;
}

export interface BookingInput {
  event_id: string;
  items: BasketItem[];
  coupon_code?: string | null;
}

export type BookingStatus = 'held' | 'pending_payment' | 'confirmed' | 'expired' | 'cancelled' | 'refunded';

export interface BookingLine {
  ticket_type_id: string;
  name: string;
  quantity: number;
  unit_price: number;
  discount: number;
  line_total: number;
}

/** The booked event, as far as a booking shows it. */
export interface BookingEvent {
  id: string;
  slug: string;
  title: string;
  venue: string;
  address: string;
  timezone: string;
  starts_at: string;
  ends_at: string;
  status: EventStatus;
  cancellation_hours: number;
}

export interface Payment {
  id: string;
  method: PaymentMethod;
  status: 'pending' | 'paid' | 'failed' | 'expired';
  amount: number;
  currency: string;
  refunded_amount: number;
  expires_at: string | null;
  paid_at: string | null;
  /** The gateway's id or the transfer reference. */
  reference: string | null;
  /** Set when the payment needs an organizer's attention (e.g. paid after the hold ended). */
  flag: string | null;
  /** The Stripe Checkout page while a card payment is open. */
  checkout_url: string | null;
  created_at: string;
}

export interface Refund {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  reason: 'requested_by_customer' | 'duplicate' | 'fraudulent' | null;
  note: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'recorded' | 'to_refund';
  automatic: boolean;
  error: string | null;
  created_at: string;
}

/** How to pay a booking by bank transfer, while it waits for the money. */
export interface Transfer {
  /** Account holder, IBAN, BIC… (several lines). */
  details: string;
  /** The reference the transfer must carry. */
  reference: string;
  /** When the hold ends unless the money has arrived. */
  deadline: string;
  amount: number;
  currency: string;
}

/** A booking. Admin reads add the attendee. A hold past expires_at shows as expired. */
export interface Booking {
  id: string;
  event_id: string;
  attendee_id: string | null;
  status: BookingStatus;
  expires_at: string | null;
  items: BookingLine[];
  subtotal: number;
  discount: number;
  total: number;
  currency: string | null;
  coupon_code: string | null;
  created_at: string;
  updated_at: string;
  confirmed_at: string | null;
  cancelled_at: string | null;
  event: BookingEvent;
  payment_method: PaymentMethod | null;
  payment_reference: string | null;
  paid: boolean;
  paid_at: string | null;
  amount_paid: number;
  amount_refunded: number;
  payments: Payment[];
  refunds: Refund[];
  transfer: Transfer | null;
  /** Admin reads only. */
  attendee?: {
    id: string | null;
    email: string | null;
    name: string | null;
  };
}

export interface BookingList {
  items: Booking[];
  total: number;
  next_cursor: string | null;
}

export interface BookingResult {
  booking: Booking;
  /** Card payments only; where to send the buyer. */
  checkout_url?: string | null;
}

export interface RefundResult {
  booking: Booking;
  refund: Refund;
}

export interface Quote {
  event_id: string;
  items: BookingLine[];
  subtotal: number;
  discount: number;
  total: number;
  currency: string | null;
  /** The coupon as it is spelled by the organizer. */
  coupon_code: string | null;
  /** The event's hidden ticket types this coupon unlocks (unlocks_hidden, and in its ticket_type_ids or that list is empty), shown like the public event's ticket types, ordered by sort_order, name, id; empty without a coupon. */
  unlocked_ticket_types: TicketType[];
}

export interface Coupon {
  id: string;
  event_id: string;
  code: string;
  kind: 'percent' | 'fixed';
  percent: number | null;
  amount: number | null;
  currency: string | null;
  valid_from: string | null;
  valid_until: string | null;
  max_uses: number | null;
  max_uses_per_attendee: number | null;
  min_order: number;
  unlocks_hidden: boolean;
  ticket_type_ids: string[];
  uses: number;
  created_at: string;
  updated_at: string;
}

export interface CouponInput {
  /** Unique per event regardless of case */
  code?: string;
  kind?: 'percent' | 'fixed';
  percent?: number;
  /** Minor units of the event currency */
  amount?: number;
  valid_from?: string | null;
  valid_until?: string | null;
  max_uses?: number | null;
  max_uses_per_attendee?: number | null;
  min_order?: number;
  unlocks_hidden?: boolean;
  ticket_type_ids?: string[];
}

export interface CouponList {
  items: Coupon[];
}

export type TicketStatus = 'valid' | 'cancelled' | 'reissued';

export interface Ticket {
  id: string;
  booking_id: string;
  event_id: string;
  ticket_type_id: string;
  /** The ticket type's name. */
  ticket_type: string;
  /** 1, 2, … within the booking. */
  seq: number;
  holder_name: string;
  /** The signed ticket code the QR symbol holds (docs/ticket-codes.md). */
  code: string;
  key_id: string;
  status: TicketStatus;
  issued_at: string;
  revoked_at: string | null;
}

export interface TicketList {
  items: Ticket[];
}

/** A ticket with its event, in the attendee's list of tickets. */
export interface MyTicket {
  id: string;
  booking_id: string;
  event_id: string;
  ticket_type_id: string;
  ticket_type: string;
  seq: number;
  holder_name: string;
  code: string;
  key_id: string;
  status: TicketStatus;
  issued_at: string;
  revoked_at: string | null;
  booking_reference: string;
  /** The event has ended. */
  past: boolean;
  event: {
    id: string;
    slug: string;
    title: string;
    venue: string;
    address: string;
    timezone: string;
    starts_at: string;
    ends_at: string;
    status: EventStatus;
  };
}

export interface MyTicketList {
  items: MyTicket[];
}

export interface Queued {
  queued: boolean;
}

export interface TicketKey {
  id: string;
  algorithm: 'Ed25519';
  /** Base64, 32 bytes. */
  public_key: string;
  created_at: string;
  /** Null for the key that signs new tickets. */
  retired_at: string | null;
}

export interface TicketKeys {
  keys: TicketKey[];
}

export interface CheckinList {
  id: string;
  event_id: string;
  name: string;
  all_types: boolean;
  ticket_type_ids: string[];
  allow_unpaid: boolean;
  allow_reentry: boolean;
  opens_at: string | null;
  closes_at: string | null;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export interface CheckinListInput {
  name?: string;
  all_types?: boolean;
  ticket_type_ids?: string[];
  allow_unpaid?: boolean;
  allow_reentry?: boolean;
  opens_at?: string | null;
  closes_at?: string | null;
}

export interface CheckinListList {
  items: CheckinList[];
}

export interface Device {
  id: string;
  name: string;
  created_at: string;
}

/** A ticket as the door sees it. */
export interface CheckinTicket {
  id: string;
  booking_id: string;
  ticket_type_id: string;
  ticket_type: string;
  holder_name: string;
  booking_reference: string;
  unpaid: boolean;
  status: TicketStatus;
}

/** Why a scan was rejected (null when admitted); unknown_device and unknown_list only in uploads. */
export type CheckinReason = 'invalid' | 'unknown_ticket' | 'wrong_event' | 'not_on_list' | 'revoked' | 'cancelled' | 'unpaid' | 'already_checked_in' | 'outside_time_window' | 'not_checked_in' | 'unknown_device' | 'unknown_list' | null;

/** The answer to one scan; 200 for every verdict. */
export interface CheckinVerdict {
  status: 'ok' | 'rejected';
  reason: CheckinReason;
  type: 'entry' | 'exit';
  forced: boolean;
  forced_reason: CheckinReason;
  conflict: boolean;
  checkin_id: string | null;
  ticket: CheckinTicket | null;
  first_checkin: {
    at: string;
    by: string | null;
    device: string | null;
  } | null;
}

export interface CheckinInput {
  code: string;
  list_id: string;
  /** Unique per scan: the same nonce gets the same answer and counts once */
  nonce: string;
  type: 'entry' | 'exit';
  scanned_at?: string;
  /** Record an admission made offline even if it would now be refused (never twice) */
  force?: boolean;
  device_id?: string;
}

export interface CheckinUploadResult {
  results: {
    nonce: string;
    status: 'ok' | 'rejected';
    reason: CheckinReason;
    conflict: boolean;
    forced: boolean;
    checkin_id: string | null;
  }[];
}

export interface Checkin {
  id: string;
  ticket_id: string;
  list_id: string;
  type: 'entry' | 'exit';
  scanned_at: string;
  undone_at: string | null;
}

export interface CheckinSearch {
  items: {
    ticket: CheckinTicket;
    code: string;
    attendee_name: string | null;
    email: string | null;
    checked_in: boolean;
  }[];
  limit: number;
  offset: number;
}

/** Everything a door laptop needs to decide offline (full), or what changed since a cursor. */
export interface CheckinBundle {
  event: {
    id: string;
    title: string;
    timezone: string;
    starts_at: string;
    ends_at: string;
    status: EventStatus;
  };
  keys: {
    id: string;
    algorithm: 'Ed25519';
    public_key: string;
    retired_at: string | null;
  }[];
  lists: CheckinList[];
  tickets: {
    id: string;
    ticket_type_id: string;
    ticket_type: string;
    holder_name: string;
    booking_reference: string;
    unpaid: boolean;
    status: TicketStatus;
    revoked_at: string | null;
  }[];
  checkins: {
    id: string;
    ticket_id: string;
    list_id: string;
    type: 'entry' | 'exit';
    scanned_at: string;
    device: string | null;
    undone: boolean;
  }[];
  cursor: string;
  full: boolean;
}

export interface CheckinStats {
  lists: {
    list_id: string;
    name: string;
    checked_in: number;
    expected: number;
    inside: number;
    by_type: {
      ticket_type_id: string;
      name: string;
      checked_in: number;
      expected: number;
    }[];
  }[];
  /** Per 5 minutes. */
  arrivals: {
    at: string;
    count: number;
  }[];
}

export interface Money {
  gross: number;
  discounts: number;
  refunds: number;
  net: number;
}

export interface EventAnalytics {
  event_id: string;
  title: string;
  timezone: string;
  starts_at: string;
  status: EventStatus;
  bucket: 'hour' | 'day' | 'week';
  generated_at: string;
  currency: string | null;
  single_currency: boolean;
  tickets: {
    capacity: number;
    sold: number;
    held: number;
  };
  revenue: Money;
  revenue_by_currency: {
    currency: string | null;
    gross: number;
    discounts: number;
    refunds: number;
    net: number;
  }[];
  by_type: {
    ticket_type_id: string;
    name: string;
    price: number;
    sold: number;
    held: number;
    capacity: number;
    refunded: number;
    cancelled: number;
    gross: number;
    discounts: number;
  }[];
  coupons: {
    coupon_id: string;
    code: string;
    uses: number;
    discount: number;
    max_uses: number | null;
  }[];
  payment_methods: {
    method: string | null;
    bookings: number;
    total: number;
    paid: number;
  }[];
  bookings_by_status: {
    status: BookingStatus;
    bookings: number;
  }[];
  sales_over_time: {
    bucket_start: string;
    tickets: number;
    gross: number;
    by_type: {
      ticket_type_id: string;
      tickets: number;
      gross: number;
    }[];
  }[];
  checkins: {
    checked_in: number;
    expected: number;
    rate: number;
  };
  checkins_over_time: {
    bucket_start: string;
    checked_in: number;
  }[];
  cancellations: {
    cancelled_bookings: number;
    cancelled_tickets: number;
    refunded_bookings: number;
    refunded_tickets: number;
    refunds_made: number;
    refunds: number;
  };
}

export interface AnalyticsSummary {
  from: string | null;
  to: string | null;
  generated_at: string;
  events: {
    event_id: string;
    title: string;
    slug: string;
    status: EventStatus;
    timezone: string;
    starts_at: string;
    currency: string | null;
    capacity: number;
    sold: number;
    gross: number;
    discounts: number;
    refunds: number;
    net: number;
    checked_in: number;
    expected: number;
    checkin_rate: number | null;
  }[];
  totals_by_currency: {
    currency: string | null;
    events: number;
    sold: number;
    gross: number;
    discounts: number;
    refunds: number;
    net: number;
  }[];
  checkins: {
    checked_in: number;
    expected: number;
  };
}

export interface StripeAck {
  received: boolean;
}

/** What an endpoint can subscribe to (docs/webhooks.md describes each payload). */
export type WebhookEventType = 'booking.confirmed' | 'booking.cancelled' | 'booking.refunded' | 'payment.received' | 'ticket.reissued' | 'checkin.created' | 'event.published' | 'event.cancelled';

/** Where events are sent. The signing secret is in the answer to the create only. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  disabled_at: string | null;
  /** Why it was disabled: by an organizer, or deliveries that kept failing for three days. */
  disabled_reason: string | null;
  /** Who disabled it: an organizer ("enabled": false), or the deliveries that kept failing (it was disabled and the organizers were mailed). Null while enabled. */
  disabled_by: 'organizer' | 'failures' | null;
  /** The newest delivery to this endpoint, or null before the first. */
  last_delivery: WebhookDelivery | null;
  created_at: string;
  updated_at: string;
  /** whsec_…: the key of the Everato-Signature HMAC. Shown once, at creation; keep it secret. */
  secret?: string;
}

export interface WebhookEndpointInput {
  /** http:// or https://; no user name, password or fragment. Addresses of this machine and of private networks are refused unless the operator set EVERATO_WEBHOOK_ALLOW_PRIVATE=1. */
  url?: string;
  description?: string;
  events?: WebhookEventType[];
  /** Updates only. Enabling again clears disabled_reason. */
  enabled?: boolean;
}

export interface WebhookEndpointList {
  items: WebhookEndpoint[];
}

/** One event for one endpoint: its state and the last answer. */
export interface WebhookDelivery {
  /** A decimal number. */
  id: string;
  /** The id in the payload and the Everato-Event-Id header: the same on every retry and redelivery. */
  event_id: string;
  /** A WebhookEventType, or webhook.test. */
  event_type: string;
  endpoint_id: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  /** While pending or sending. */
  next_attempt_at: string | null;
  /** Three days after the event (or the redelivery). */
  give_up_at: string;
  last_attempt_at: string | null;
  response_status: number | null;
  /** The first 500 bytes of the last answer. */
  response_excerpt: string | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface WebhookDeliveryList {
  items: WebhookDelivery[];
}
