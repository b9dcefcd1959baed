// Conversation view
// -----------------
// The panel under the page: one `ExchangeView` per request, newest first, and
// the pitfall switches the step's API can show. It folds away (`<details>`),
// and the browser remembers that in `localStorage`.

const CollectionView = require('views/base/collection_view');
const ExchangeView = require('views/exchange_view');
const pitfallSwitches = require('lib/pitfall_switches');

// `localStorage` key: "yes" while the panel is folded away.
const FOLDED_KEY = 'conversation-folded';

module.exports = CollectionView.extend({
  optionNames: CollectionView.prototype.optionNames.concat(['step']),
  tagName: 'details',
  id: 'conversation',
  // Open unless the reader folded it away last time.
  attributes() {
    return localStorage.getItem(FOLDED_KEY) === 'yes' ? {} : {open: ''};
  },
  // A fold, the switches, and the list of requests that Chaplin fills.
  template: require('templates/conversation'),

  itemView: ExchangeView,
  listSelector: '.exchanges',
  fallbackSelector: '.exchanges-empty',

  events: {
    toggle: 'rememberFold',
    'change .pitfall-switch input': 'flipSwitch'
  },

  getTemplateData() {
    const {step} = this;
    return {
      switches: this.switches(),
      emptyText: step.hasFeature('items')
        ? 'No request yet.'
        : `Step ${step.get('number')} has no API yet: this page sends no request.`
    };
  },

  // The switches that make sense with the step's API.
  switches() {
    return pitfallSwitches.filter((pitfall) => this.step.hasFeature(pitfall.feature));
  },

  // `toggle` does not bubble: a row's own `<details>` never gets here.
  rememberFold() {
    localStorage.setItem(FOLDED_KEY, this.el.open ? 'no' : 'yes');
  },

  // Change the running app, and say how it now differs from the correct one.
  flipSwitch(event) {
    const checkbox = event.target;
    const pitfall = this.switches().find((candidate) => candidate.name === checkbox.name);
    pitfall.turn(checkbox.checked);
    const $note = this.$(`.pitfall-note[data-switch="${pitfall.name}"]`);
    $note.prop('hidden', pitfall.isOn() === pitfall.correct);
  }
});
