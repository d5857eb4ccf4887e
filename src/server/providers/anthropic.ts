/**
 * Anthropic Messages upstream over SSE: message_start (input tokens) -> content_block_delta* ->
 * message_delta (cumulative output tokens, stop reason) -> message_stop; `ping` anywhere; `error` mid-stream.
 */
import { readSseBatches } from './sse.ts';
import {
  ProviderStreamError,
  httpError,
  type FinishReason,
  type ProviderEvent,
  type ProviderStream,
} from './types.ts';

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

interface AnthropicEvent {
  type?: string;
  message?: { usage?: AnthropicUsage };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

function finish(reason: string | null | undefined): FinishReason {
  return reason === 'max_tokens' ? 'length' : reason === 'tool_use' ? 'tool_calls' : 'stop';
}

export const anthropicStream: ProviderStream = async (upstream, request, { signal, transport }) => {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: request.messages.filter((m) => m.role !== 'system'),
    stream: true,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop) body.stop_sequences = request.stop;
  const response = await transport(`${upstream.baseUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'anthropic-version': '2023-06-01',
      ...(upstream.apiKey ? { 'x-api-key': upstream.apiKey } : {}),
    },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) throw await httpError('anthropic', response);
  return translate(readSseBatches(response.body));
};

const SKIPPED = new Set(['ping', 'content_block_start', 'content_block_stop']);

async function* translate(
  batches: AsyncGenerator<{ data: string; event?: string | undefined }[]>,
): AsyncGenerator<ProviderEvent> {
  let stopped = false;
  try {
    reading: for await (const batch of batches)
      for (const event of batch) {
        // Named events that carry nothing to forward are skipped without parsing their JSON.
        if (event.event !== undefined && SKIPPED.has(event.event)) continue;
        let data: AnthropicEvent;
        try {
          data = JSON.parse(event.data) as AnthropicEvent;
        } catch (error) {
          throw new ProviderStreamError('anthropic', 'malformed', 'anthropic sent a malformed stream event', {
            cause: error,
          });
        }
        const type = data.type ?? event.event;
        if (type === 'message_start') {
          const u = data.message?.usage;
          if (u) {
            const cached = u.cache_read_input_tokens ?? 0;
            const input = (u.input_tokens ?? 0) + cached + (u.cache_creation_input_tokens ?? 0);
            yield {
              type: 'usage',
              inputTokens: input,
              // message_start's output_tokens is a placeholder (1): only message_delta's count is final.
              ...(cached ? { cachedInputTokens: cached } : {}),
            };
          }
        } else if (type === 'content_block_delta') {
          if (data.delta?.type === 'text_delta' && data.delta.text)
            yield { type: 'delta', text: data.delta.text };
        } else if (type === 'message_delta') {
          if (data.usage?.output_tokens !== undefined)
            yield { type: 'usage', outputTokens: data.usage.output_tokens };
          if (data.delta?.stop_reason) yield { type: 'finish', reason: finish(data.delta.stop_reason) };
        } else if (type === 'message_stop') {
          stopped = true;
          break reading;
        } else if (type === 'error') {
          throw new ProviderStreamError(
            'anthropic',
            'error_event',
            `anthropic stream error (${data.error?.type ?? 'unknown'}): ${data.error?.message ?? ''}`,
          );
        }
        // ping, content_block_start, content_block_stop: nothing to forward
      }
  } catch (error) {
    if (error instanceof ProviderStreamError) throw error;
    throw new ProviderStreamError('anthropic', 'cut', 'the anthropic stream broke off mid-answer', {
      cause: error,
    });
  }
  if (!stopped)
    throw new ProviderStreamError('anthropic', 'cut', 'the anthropic stream ended without message_stop');
}
