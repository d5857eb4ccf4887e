/**
 * `model` on POST /v1/chat/completions, as the OpenAI SDKs send it: a tier name ("small", "mid",
 * "frontier") or "auto". For "auto" the gateway decides with the browser's own router (src/router, the
 * committed weights, the element's quality knob and the same policy overrides) and maps its tiers onto
 * the gateway's: the router's on-device tier is the `small` tier where one is configured, mid where not
 * (said so in the reason). The cascade verifier that judges a small answer is the router's too.
 * Pure decisions only; chat.ts does the HTTP and the upstream calls.
 */
import {
  GatewayRequestSchema,
  TaskKindSchema,
  type GatewayRequest,
  type GatewayTier,
  type Tier,
} from '../config/index.ts';
import { InvalidInputError } from '../errors.ts';
import { route as routeRequest, verifyAnswer } from '../router/index.ts';
import type { AutoRoute } from './auto-record.ts';
import { isResolved, type TierTable } from './config.ts';
import type { FinishReason } from './providers/index.ts';

const TIERS: readonly GatewayTier[] = ['small', 'mid', 'frontier'];
const isTier = (value: unknown): value is GatewayTier => TIERS.includes(value as GatewayTier);

/** A parsed chat body: `auto` when the gateway routes (its `tier` is then set from the decision). */
export interface ChatRequest {
  body: GatewayRequest;
  auto: boolean;
}

/** The values `model` may take on this gateway: "auto" and every tier name, `small` only when configured. */
export function acceptedModels(tiers: TierTable): string[] {
  return ['auto', ...(isResolved(tiers.small) ? ['small'] : []), 'mid', 'frontier'];
}

function fieldOf(issues: readonly { path: readonly PropertyKey[] }[]): string {
  return issues[0]?.path.map(String).join('.') ?? '';
}

/**
 * Validate a chat body given as parsed JSON: `tier` (the browser's field) or `model` (the SDKs'), not two
 * different ones. Throws InvalidInputError (400) naming the field and the accepted values.
 */
export function readChatRequest(json: unknown, tiers: TierTable): ChatRequest {
  // Only error messages list the accepted values: nothing is built for a valid request.
  const accepted = () => acceptedModels(tiers);
  const list = () =>
    accepted()
      .map((m) => `"${m}"`)
      .join(', ');
  const raw: Record<string, unknown> =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  const { tier } = raw;
  // With a `tier` (the browser's contract) a `model` that names no tier is ignored, as it always was: it
  // never reaches the provider. Without one, `model` is the tier, and must be one this gateway serves.
  const model = tier !== undefined && !isTier(raw.model) && raw.model !== 'auto' ? undefined : raw.model;
  if (
    model !== undefined &&
    (model === 'small' ? !isResolved(tiers.small) : model !== 'auto' && !isTier(model))
  ) {
    const small =
      model === 'small'
        ? ` No small tier is configured: set TIER_ASSIST_SMALL_BASE_URL and TIER_ASSIST_SMALL_MODEL (or tiers.small) to serve it.`
        : '';
    throw new InvalidInputError(
      `This gateway does not serve the model ${JSON.stringify(model)}: "model" names a tier or "auto", never a provider's model (the gateway maps tiers to models). Accepted: ${list()}.${small}`,
      { data: { field: 'model', accepted: accepted() } },
    );
  }
  if (model !== undefined && tier !== undefined && model !== tier) {
    throw new InvalidInputError(
      `The body names both "model": ${JSON.stringify(model)} and "tier": ${JSON.stringify(tier)}. Drop "tier" (OpenAI clients send "model"), or send the same value in both.`,
      { data: { field: 'tier', accepted: accepted() } },
    );
  }
  if (model === undefined && tier === undefined) {
    throw new InvalidInputError(
      `Name a model (${list()}) or a tier ("mid" or "frontier"); the gateway picks the provider's model.`,
      { data: { field: 'model', accepted: accepted() } },
    );
  }
  const auto = model === 'auto';
  // The wire schema needs a tier; "auto" parses with a placeholder and gets the decided tier later.
  const named = auto ? 'mid' : (tier ?? model);
  // The browser's requests (tier given) parse as they are: no copy of the body on the common path.
  const parsed = GatewayRequestSchema.safeParse(named === tier ? raw : { ...raw, tier: named });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = fieldOf(parsed.error.issues);
    const which = field === 'tier' && tier === undefined ? 'model' : field;
    throw new InvalidInputError(
      `Invalid request body: ${which ? `"${which}" ` : ''}${issue?.message ?? 'invalid'}. Send {"model": "auto" (or a tier: ${list().replace('"auto", ', '')}), "messages": [{"role": "user", "content": "..."}]}.`,
      { data: { field: which, ...(which === 'model' ? { accepted: accepted() } : {}) } },
    );
  }
  return { body: parsed.data, auto };
}

/** The text the router scores (the last user turn, as the browser routes the person's text) and its turn. */
function routedText(body: GatewayRequest): { text: string; turn: number } {
  const users = body.messages.filter((m) => m.role === 'user');
  const last = users.at(-1) ?? body.messages.at(-1);
  return { text: last?.content ?? '', turn: Math.max(1, users.length) };
}

/** Route a body with the browser's router and map the decision onto this gateway's tiers. */
export function decideAuto(body: GatewayRequest, tiers: TierTable, quality: number): AutoRoute {
  const { text, turn } = routedText(body);
  const task = TaskKindSchema.safeParse((body as Record<string, unknown>).task);
  const decision = routeRequest(text, { task: task.success ? task.data : 'chat', quality, turn });
  const hasSmall = isResolved(tiers.small);
  const routerTier: Tier = decision.tier;
  const flags: string[] = [...decision.flags];
  let tier: GatewayTier;
  let reason = decision.reason;
  if (routerTier !== 'local') tier = routerTier;
  else if (hasSmall) {
    tier = 'small';
    reason +=
      ' On this gateway the on-device tier is the small tier; the cascade verifier checks its answer.';
  } else {
    tier = 'mid';
    flags.push('no-local-engine');
    reason += ' No small tier is configured on this gateway, so mid answers instead of on-device.';
  }
  return { tier, routerTier, reason, scores: decision.scores, flags, quality };
}

/** The tier a rejected (or failed) small answer escalates to: mid where configured, else frontier. */
export function nextTier(tiers: TierTable): GatewayTier {
  return isResolved(tiers.mid) ? 'mid' : 'frontier';
}

/** The cascade verifier (src/router's, the browser's) on a small tier's whole answer. */
export function verifySmall(
  body: GatewayRequest,
  text: string,
  finish: FinishReason | undefined,
): { accept: boolean; reason: string } {
  const task = TaskKindSchema.safeParse((body as Record<string, unknown>).task);
  const verdict = verifyAnswer({
    text,
    finishReason:
      finish === 'length' ? 'length' : finish === undefined || finish === 'stop' ? 'stop' : 'abort',
    task: task.success ? task.data : 'chat',
    prompt: routedText(body).text,
  });
  return { accept: verdict.accept, reason: verdict.reason };
}

/** A header value from a reason: printable ASCII only (header values are Latin-1; keep them plain). */
export function headerText(text: string, max = 300): string {
  return text.replace(/[^\x20-\x7e]+/g, ' ').slice(0, max);
}
