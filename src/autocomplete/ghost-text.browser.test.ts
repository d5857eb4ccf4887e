import { afterEach, describe, expect, it } from 'vitest';
import { userEvent } from 'vitest/browser';
import { GhostTextController, type SuggestRequest } from './ghost-text.ts';
import { ineligibleReason } from './eligibility.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(html: string, reply: (r: SuggestRequest) => string | Promise<string> = () => ' world') {
  document.body.innerHTML = html;
  const requests: SuggestRequest[] = [];
  const aborted: SuggestRequest[] = [];
  const controller = new GhostTextController(document, {
    debounceMs: 30,
    suggest: async (request, signal) => {
      requests.push(request);
      signal.addEventListener('abort', () => aborted.push(request));
      return { text: await reply(request), engineMs: 1 };
    },
  }).attach();
  return { controller, requests, aborted };
}

async function until(check: () => boolean, timeout = 2000): Promise<void> {
  const end = performance.now() + timeout;
  while (!check()) {
    if (performance.now() > end) throw new Error('timed out');
    await wait(10);
  }
}

let current: GhostTextController | undefined;
afterEach(() => {
  current?.detach();
  document.body.innerHTML = '';
});

describe('ghost text in a textarea', () => {
  it('shows a suggestion after a pause, and Tab inserts it firing the input event', async () => {
    const { controller, requests } = setup('<textarea aria-label="t"></textarea>');
    current = controller;
    const field = document.querySelector('textarea')!;
    const inputs: string[] = [];
    field.addEventListener('input', (e) => inputs.push((e as InputEvent).inputType));
    await userEvent.click(field);
    await userEvent.keyboard('Hello');
    await until(() => controller.suggestion === ' world');
    expect(requests.at(-1)).toEqual({ before: 'Hello', after: '' });
    expect(controller.overlay.host.shadowRoot?.textContent).toContain(' world');
    inputs.length = 0;
    await userEvent.keyboard('{Tab}');
    expect(field.value).toBe('Hello world');
    expect(inputs).toContain('insertText');
    expect(document.activeElement).toBe(field);
  });

  it('does not capture Tab when nothing is suggested', async () => {
    const { controller } = setup('<textarea></textarea><button>next</button>', () => '');
    current = controller;
    await userEvent.click(document.querySelector('textarea')!);
    await userEvent.keyboard('Hi there');
    await wait(80);
    await userEvent.keyboard('{Tab}');
    expect(document.activeElement).toBe(document.querySelector('button'));
  });

  it('Esc dismisses, typing through keeps the rest, Ctrl+Right takes one word', async () => {
    const { controller } = setup('<textarea></textarea>', () => ' quick brown fox');
    current = controller;
    const field = document.querySelector('textarea')!;
    await userEvent.click(field);
    await userEvent.keyboard('The');
    await until(() => controller.suggestion.length > 0);
    await userEvent.keyboard(' qu');
    expect(controller.suggestion).toBe('ick brown fox');
    await userEvent.keyboard('{Control>}{ArrowRight}{/Control}');
    expect(field.value).toBe('The quick');
    expect(controller.suggestion).toBe(' brown fox');
    await userEvent.keyboard('{Escape}');
    expect(controller.suggestion).toBe('');
    expect(controller.overlay.host.dataset.state).toBe('idle');
  });

  it('drops a stale answer and aborts it on the next keystroke', async () => {
    let slow = true;
    const { controller, aborted } = setup('<textarea></textarea>', async () => {
      if (slow) {
        slow = false;
        await wait(200);
        return ' stale';
      }
      return ' fresh';
    });
    current = controller;
    await userEvent.click(document.querySelector('textarea')!);
    await userEvent.keyboard('ab');
    await wait(60); // first request is in flight
    await userEvent.keyboard('c');
    expect(aborted.length).toBe(1);
    await until(() => controller.suggestion.length > 0);
    await wait(250);
    expect(controller.suggestion).toBe(' fresh');
  });

  it('sends text after the caret too', async () => {
    const { controller, requests } = setup('<textarea>Dear Bob, see you</textarea>', () => '');
    current = controller;
    const field = document.querySelector('textarea')!;
    await userEvent.click(field);
    field.setSelectionRange(10, 10);
    await userEvent.keyboard('I ');
    await until(() => requests.length > 0);
    expect(requests[0]).toEqual({ before: 'Dear Bob, I ', after: 'see you' });
  });

  it('asks nothing during an IME composition', async () => {
    const { controller, requests } = setup('<textarea></textarea>');
    current = controller;
    const field = document.querySelector('textarea')!;
    await userEvent.click(field);
    field.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true }));
    field.value = 'にほん';
    field.dispatchEvent(new InputEvent('input', { bubbles: true, isComposing: true }));
    await wait(80);
    expect(requests).toHaveLength(0);
    field.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: 'にほん' }));
    await until(() => requests.length === 1);
  });
});

describe('streamed suggestions', () => {
  /** A suggest() that reports `pieces` one by one (cumulative) and then waits for `finish()`. */
  function streaming(pieces: string[]) {
    document.body.innerHTML = '<textarea aria-label="t"></textarea>';
    let finish: () => void = () => undefined;
    let sent = 0;
    let aborted = 0;
    const states: string[] = [];
    const controller = new GhostTextController(document, {
      debounceMs: 20,
      suggest: async (_request, signal, onPartial) => {
        signal.addEventListener('abort', () => (aborted += 1));
        let text = '';
        for (const piece of pieces) {
          await wait(15);
          if (signal.aborted) throw new Error('aborted');
          text += piece;
          sent += 1;
          onPartial?.(text);
          states.push(`${controller.overlay.host.dataset.state}:${controller.suggestion}`);
        }
        await new Promise<void>((resolve) => (finish = resolve));
        return { text };
      },
    }).attach();
    return {
      controller,
      states,
      finish: () => finish(),
      sent: () => sent,
      aborted: () => aborted,
    };
  }

  it('shows whole words as they arrive, then the final answer', async () => {
    const run = streaming([' wor', 'ld,', ' fr', 'om a', ' tiny', ' llama.']);
    current = run.controller;
    await userEvent.click(document.querySelector('textarea')!);
    await userEvent.keyboard('Hello');
    await until(() => run.sent() === 6);
    // Nothing while the first word is incomplete; then word by word, marked as streaming.
    expect(run.states).toEqual([
      'pending:',
      'pending:',
      'streaming: world,',
      'streaming: world, from',
      'streaming: world, from a',
      'streaming: world, from a tiny',
    ]);
    run.finish();
    await until(() => run.controller.overlay.host.dataset.state === 'visible');
    expect(run.controller.suggestion).toBe(' world, from a tiny llama.');
  });

  it('a keystroke ends the stream; Tab takes the words shown so far', async () => {
    const run = streaming([' quick', ' brown', ' fox', ' jumps']);
    current = run.controller;
    const field = document.querySelector('textarea')!;
    await userEvent.click(field);
    await userEvent.keyboard('The');
    await until(() => run.controller.suggestion === ' quick brown');
    await userEvent.keyboard('{Tab}');
    expect(run.aborted()).toBe(1);
    expect(field.value.startsWith('The quick brown')).toBe(true);
    run.finish();
  });

  it('Esc during a stream hides the ghost and no later words bring it back', async () => {
    const run = streaming([' quick', ' brown', ' fox', ' jumps', ' over']);
    current = run.controller;
    await userEvent.click(document.querySelector('textarea')!);
    await userEvent.keyboard('The');
    await until(() => run.controller.suggestion === ' quick');
    await userEvent.keyboard('{Escape}');
    expect(run.aborted()).toBe(1);
    await wait(100);
    expect(run.controller.suggestion).toBe('');
    expect(run.controller.overlay.host.dataset.state).toBe('idle');
    run.finish();
  });
});

describe('other fields', () => {
  it('works in a contenteditable without touching its DOM', async () => {
    const { controller } = setup('<div contenteditable="true" style="width:300px">x</div>');
    current = controller;
    const editor = document.querySelector('div')!;
    await userEvent.click(editor);
    document.getSelection()!.collapse(editor.firstChild, 1);
    await userEvent.keyboard('yz Hello');
    await until(() => controller.suggestion === ' world');
    expect(editor.innerHTML).toBe('xyz Hello');
    await userEvent.keyboard('{Tab}');
    expect(editor.textContent).toBe('xyz Hello world');
  });

  it('in a contenteditable, the end of a line with lines below is not mid-word', async () => {
    const { controller, requests } = setup(
      '<div contenteditable="true" style="width:300px"><div>Hello</div><div>next line</div></div>',
    );
    current = controller;
    const editor = document.querySelector<HTMLElement>('[contenteditable]')!;
    const first = editor.firstElementChild!;
    await userEvent.click(editor);
    document.getSelection()!.collapse(first.firstChild, 5);
    await userEvent.keyboard('X');
    await until(() => controller.suggestion === ' world');
    expect(requests.at(-1)).toEqual({ before: 'HelloX', after: '\nnext line' });

    // <br> ends a line too; text after the caret on the same line still blocks a mid-word ask
    editor.innerHTML = 'Hi<br>there';
    document.getSelection()!.collapse(editor.firstChild, 2);
    await userEvent.keyboard('m');
    await until(() => requests.at(-1)?.before === 'Him');
    expect(requests.at(-1)!.after).toBe('\nthere');
  });

  it('works in an open shadow root', async () => {
    const { controller } = setup('<div id="h"></div>');
    current = controller;
    const root = document.getElementById('h')!.attachShadow({ mode: 'open' });
    root.innerHTML = '<input type="text">';
    const input = root.querySelector('input')!;
    await userEvent.click(input);
    await userEvent.keyboard('Hello');
    await until(() => controller.suggestion === ' world');
    await userEvent.keyboard('{Tab}');
    expect(input.value).toBe('Hello world');
  });

  it('gives nothing to password, sensitive and writingsuggestions=false fields', async () => {
    const { controller, requests } = setup(`
      <input type="password" id="p">
      <input autocomplete="off" name="card-number" id="c">
      <div writingsuggestions="false"><textarea id="w"></textarea></div>`);
    current = controller;
    for (const id of ['p', 'c', 'w']) {
      await userEvent.click(document.getElementById(id)!);
      await userEvent.keyboard('Hello');
    }
    await wait(100);
    expect(requests).toHaveLength(0);
    expect(ineligibleReason(document.getElementById('w')!)).toContain('writingsuggestions');
  });

  it('attaches to same-origin iframes', async () => {
    const { controller } = setup('<iframe srcdoc="<textarea></textarea>"></iframe>');
    current = controller;
    const frame = document.querySelector('iframe')!;
    await until(() => frame.contentDocument?.querySelector('textarea') != null);
    controller.detach();
    const again = new GhostTextController(document, {
      debounceMs: 30,
      frames: true,
      suggest: async () => ({ text: ' world' }),
    }).attach();
    current = again;
    const field = frame.contentDocument!.querySelector('textarea')!;
    field.focus();
    field.value = 'Hello';
    field.setSelectionRange(5, 5);
    field.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: 'o' }));
    await until(
      () => frame.contentDocument!.querySelector<HTMLElement>('tier-ghost-text')?.dataset.state === 'visible',
    );
  });
});
