import { describe, expect, it } from 'vitest';
import { detectPii, ibanValid, luhnValid, privacyAction, redactAll, redactPii } from './index.ts';

const kinds = (text: string) => detectPii(text).map((s) => [s.kind, s.value]);

describe('detectPii', () => {
  it('finds e-mail addresses', () => {
    expect(kinds('write to ann.lee+bank@example.co.uk today')).toEqual([
      ['email', 'ann.lee+bank@example.co.uk'],
    ]);
  });

  it('finds card numbers only when the Luhn check passes', () => {
    expect(kinds('card 4111 1111 1111 1111 please')).toEqual([['card', '4111 1111 1111 1111']]);
    expect(kinds('card 4111-1111-1111-1111')).toEqual([['card', '4111-1111-1111-1111']]);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(kinds('order 4111 1111 1111 1112 shipped').filter(([k]) => k === 'card')).toEqual([]);
  });

  it('finds IBANs only when mod-97 passes', () => {
    expect(kinds('pay GB82 WEST 1234 5698 7654 32 now')).toEqual([['iban', 'GB82 WEST 1234 5698 7654 32']]);
    expect(kinds('DE89370400440532013000')).toEqual([['iban', 'DE89370400440532013000']]);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(kinds('ref GB82WEST12345698765433').filter(([k]) => k === 'iban')).toEqual([]);
  });

  it('finds national IDs: US SSN, UK NI, Spanish DNI, French NIR, Canadian SIN', () => {
    expect(kinds('SSN 123-45-6789')).toEqual([['national-id', '123-45-6789']]);
    expect(kinds('SSN 000-45-6789').filter(([k]) => k === 'national-id')).toEqual([]);
    expect(kinds('NI number QQ 12 34 56 C')).toEqual([]); // QQ is not a valid prefix
    expect(kinds('NI number AB 12 34 56 C')).toEqual([['national-id', 'AB 12 34 56 C']]);
    expect(kinds('DNI 12345678Z')).toEqual([['national-id', '12345678Z']]);
    expect(kinds('DNI 12345678A')).toEqual([]);
    expect(kinds('NIR 1 85 05 78 006 084 91')).toEqual([['national-id', '1 85 05 78 006 084 91']]);
    expect(kinds('SIN 046-454-286')).toEqual([['national-id', '046-454-286']]);
  });

  it('finds phone numbers but not dates, amounts or short numbers', () => {
    expect(kinds('call +44 20 7946 0958')).toEqual([['phone', '+44 20 7946 0958']]);
    expect(kinds('call (555) 123-4567')).toEqual([['phone', '(555) 123-4567']]);
    expect(kinds('call 555-123-4567.')).toEqual([['phone', '555-123-4567']]);
    expect(kinds('on 2024-01-15 I paid 1,250.00 for 3 items, ref 12345')).toEqual([]);
  });

  it('finds street addresses', () => {
    expect(kinds('I live at 221B Baker Street, London')).toEqual([['address', '221B Baker Street']]);
    expect(kinds('ship to 1600 Pennsylvania Ave NW')).toEqual([['address', '1600 Pennsylvania Ave']]);
    expect(kinds('Meine Adresse: Hauptstraße 5')).toEqual([['address', 'Hauptstraße 5']]);
    expect(kinds('au 12 rue de la Paix')).toEqual([['address', '12 rue de la Paix']]);
  });

  it('returns sorted, non-overlapping spans with offsets into the text', () => {
    const text = 'Mail a@b.io or call +1 415 555 2671; card 5555555555554444.';
    const spans = detectPii(text);
    expect(spans.map((s) => s.kind)).toEqual(['email', 'phone', 'card']);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
  });

  it('finds nothing in ordinary questions', () => {
    expect(detectPii('How do I reset my online banking password? It has been 3 days.')).toEqual([]);
  });
});

describe('redactPii', () => {
  it('replaces each value with a placeholder and restores echoed placeholders', () => {
    const r = redactPii('I am ann@example.com, card 4111 1111 1111 1111, again ann@example.com');
    expect(r.text).toBe('I am [EMAIL_1], card [CARD_1], again [EMAIL_1]');
    expect(r.restore('We emailed [EMAIL_1] about card CARD_1.')).toBe(
      'We emailed ann@example.com about card 4111 1111 1111 1111.',
    );
    expect(r.restore('Unknown [EMAIL_7] stays')).toBe('Unknown [EMAIL_7] stays');
  });

  it('numbers placeholders consistently across a conversation', () => {
    const r = redactAll(['from a@b.io', 'and c@d.io, also a@b.io']);
    expect(r.texts).toEqual(['from [EMAIL_1]', 'and [EMAIL_2], also [EMAIL_1]']);
    expect(r.restore('[EMAIL_2] and [email_1]')).toBe('c@d.io and a@b.io');
  });

  it('leaves text without personal data unchanged', () => {
    const r = redactPii('What is the overdraft fee?');
    expect(r.text).toBe('What is the overdraft fee?');
    expect(r.spans).toEqual([]);
  });
});

describe('privacyAction', () => {
  it('applies the policy only when personal data is present', () => {
    expect(privacyAction('hi', 'local-only').action).toBe('send');
    expect(privacyAction('mail a@b.io', 'allow')).toMatchObject({ action: 'send', piiFound: true });
    expect(privacyAction('mail a@b.io', 'redact').action).toBe('redact');
    expect(privacyAction('mail a@b.io', 'local-only').action).toBe('local-only');
  });
});
