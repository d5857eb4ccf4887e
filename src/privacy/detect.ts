/**
 * Personal-data detection for text about to leave the device. Pure: no DOM, no network.
 *
 * Each detector finds candidates with a pattern, then checks what can be checked (Luhn for cards,
 * ISO 13616 mod-97 for IBANs, the reserved ranges of US SSNs, the check letter of Spanish DNIs...), so
 * an order number or an amount is not taken for a card. Overlaps are resolved by detector priority
 * (card > iban > national-id > email > phone > address), then by length.
 */

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'national-id' | 'address';

export interface PiiSpan {
  kind: PiiKind;
  /** UTF-16 offsets into the scanned text, `end` exclusive. */
  start: number;
  end: number;
  value: string;
}

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Luhn checksum (cards, Canadian SIN). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters to numbers, mod 97 == 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const chunk = code >= 65 ? String(code - 55) : ch;
    for (const digit of chunk) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function ssnValid(value: string): boolean {
  const [area = '', group = '', serial = ''] = value.split(/[-\s]/);
  if (area === '000' || area === '666' || area.startsWith('9')) return false;
  return group !== '00' && serial !== '0000';
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
function dniValid(value: string): boolean {
  const match = /^([XYZ]?)(\d{7,8})-?([A-Z])$/i.exec(value);
  if (!match) return false;
  const prefix = { '': '', X: '0', Y: '1', Z: '2' }[match[1]!.toUpperCase()] ?? '';
  const number = Number(prefix + match[2]!);
  return DNI_LETTERS[number % 23] === match[3]!.toUpperCase();
}

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  accept?: (value: string) => boolean;
}

const STREET_WORDS =
  'Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Mews|Gardens';

/** Detectors in priority order (an earlier kind wins an overlap). */
const DETECTORS: Detector[] = [
  {
    kind: 'card',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    accept: (v) => {
      const d = digitsOf(v);
      return d.length >= 13 && d.length <= 19 && luhnValid(d) && !/^(\d)\1+$/.test(d);
    },
  },
  {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b/g,
    accept: ibanValid,
  },
  // US Social Security number (dashed or spaced).
  { kind: 'national-id', pattern: /\b\d{3}[- ]\d{2}[- ]\d{4}\b/g, accept: ssnValid },
  // UK National Insurance number (prefix letters exclude D, F, I, Q, U, V; suffix A-D).
  {
    kind: 'national-id',
    pattern: /\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/gi,
  },
  // Canadian SIN (9 digits in groups of 3, Luhn).
  { kind: 'national-id', pattern: /\b\d{3}[- ]\d{3}[- ]\d{3}\b/g, accept: (v) => luhnValid(digitsOf(v)) },
  // Spanish DNI / NIE (check letter).
  { kind: 'national-id', pattern: /\b[XYZ]?\d{7,8}-?[A-Z]\b/gi, accept: dniValid },
  // French NIR (social security number, 13 digits + 2-digit key, usually spaced).
  {
    kind: 'national-id',
    pattern: /\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b/g,
    accept: (v) => {
      const d = v.replace(/\s/g, '').replace(/2A/i, '19').replace(/2B/i, '18');
      if (!/^\d{15}$/.test(d)) return false;
      return 97 - Number(BigInt(d.slice(0, 13)) % 97n) === Number(d.slice(13));
    },
  },
  {
    kind: 'email',
    pattern:
      /\b[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
  },
  {
    kind: 'phone',
    // Optional +country code, optional (area), then 2-4 groups; 9-15 digits in all, or 7-8 with a + prefix.
    pattern:
      /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){1,4}(?![\w-])|(?<![\w+])\+\d{8,14}\b/g,
    accept: (v) => {
      const d = digitsOf(v);
      if (d.length > 15) return false;
      if (/^\d{4}-\d{2}-\d{2}$/.test(v) || /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(v)) return false; // dates
      return d.length >= 9 || (v.startsWith('+') && d.length >= 7);
    },
  },
  {
    kind: 'address',
    pattern: new RegExp(
      String.raw`\b\d{1,5}[A-Za-z]?,? (?:[A-Z][A-Za-z'.-]+ ){1,4}(?:${STREET_WORDS})\b\.?(?:,? (?:Apt|Suite|Unit|Flat) ?#?\w+)?`,
      'g',
    ),
  },
  {
    kind: 'address',
    pattern: /\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm) \d{1,4}[a-z]?\b/g,
  },
  {
    kind: 'address',
    pattern:
      /\b\d{1,4},? (?:[Rr]ue|[Aa]venue|[Bb]oulevard|[Pp]lace|[Cc]hemin|[Aa]llée|[Ii]mpasse|[Qq]uai) (?:de la |du |des |de l'|d'|de )?[A-ZÉ][\w'-]+(?: [A-ZÉ][\w'-]+)*/g,
  },
];

const PRIORITY: Record<PiiKind, number> = {
  card: 0,
  iban: 1,
  'national-id': 2,
  email: 3,
  phone: 4,
  address: 5,
};

/** Find personal data in `text`; spans are sorted by start and never overlap. */
export function detectPii(text: string): PiiSpan[] {
  const found: PiiSpan[] = [];
  for (const detector of DETECTORS) {
    detector.pattern.lastIndex = 0;
    for (const match of text.matchAll(detector.pattern)) {
      const value = match[0].replace(/[ .-]+$/, '');
      if (detector.accept && !detector.accept(value)) continue;
      found.push({ kind: detector.kind, start: match.index, end: match.index + value.length, value });
    }
  }
  found.sort(
    (a, b) => PRIORITY[a.kind] - PRIORITY[b.kind] || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const span of found) {
    if (kept.some((k) => span.start < k.end && k.start < span.end)) continue;
    kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}
