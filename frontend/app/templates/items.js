// The list of items; Chaplin fills `#items` and shows the messages.
const _ = require('underscore');

module.exports = _.template(`
  <ul id="items"></ul>
  <p class="items-loading">Loading…</p>
  <p class="items-empty">No items yet.</p>
  <p class="items-error" role="alert" hidden>The items could not be loaded.</p>
`);
