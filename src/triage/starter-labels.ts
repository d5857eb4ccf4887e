/**
 * The starter model's categories (Bitext customer support, 27 intents), for code that triages without
 * loading the 540 KB classifier: the extension's background triage job (a service worker imports
 * statically, so the model would weigh on every wake-up). starter-labels.test.ts holds it equal to
 * the labels of starter-model.json.
 */
export const STARTER_LABELS: readonly string[] = [
  'cancel_order',
  'change_order',
  'change_shipping_address',
  'check_cancellation_fee',
  'check_invoice',
  'check_payment_methods',
  'check_refund_policy',
  'complaint',
  'contact_customer_service',
  'contact_human_agent',
  'create_account',
  'delete_account',
  'delivery_options',
  'delivery_period',
  'edit_account',
  'get_invoice',
  'get_refund',
  'newsletter_subscription',
  'payment_issue',
  'place_order',
  'recover_password',
  'registration_problems',
  'review',
  'set_up_shipping_address',
  'switch_account',
  'track_order',
  'track_refund',
];
