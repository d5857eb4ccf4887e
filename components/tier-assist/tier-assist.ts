import { LitElement, html } from 'lit';
import { styles } from './tier-assist.styles.ts';

/**
 * @summary An assistant that answers on-device and escalates only what needs a bigger model.
 *
 * @csspart title - The heading.
 * @cssproperty --tier-background - Background colour.
 * @cssproperty --tier-color - Text colour.
 */
export class TierAssist extends LitElement {
  static override styles = styles;
  static override properties = { placeholder: { type: String } };

  declare placeholder: string;

  constructor() {
    super();
    this.placeholder = 'Ask anything…';
  }

  override render() {
    return html`<h2 part="title">tier-assist</h2>
      <p>${this.placeholder}</p>`;
  }
}

if (!customElements.get('tier-assist')) customElements.define('tier-assist', TierAssist);

declare global {
  interface HTMLElementTagNameMap {
    'tier-assist': TierAssist;
  }
}
