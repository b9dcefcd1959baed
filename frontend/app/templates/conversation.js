// The conversation panel: a fold, the pitfall switches the step has, and the
// requests (Chaplin fills `.exchanges`, newest first).
const _ = require('underscore');

module.exports = _.template(`
  <summary class="conversation-title">Conversation: what Backbone sent, what Flask answered</summary>
  <% if (switches.length) { %>
    <fieldset class="pitfall-switches">
      <legend>Pitfall switches: they change this page until you reload it</legend>
      <% _.each(switches, (pitfall) => { %>
        <label class="pitfall-switch">
          <input type="checkbox" name="<%- pitfall.name %>" <% if (pitfall.isOn()) { %>checked<% } %>>
          <code><%- pitfall.label %></code>
        </label>
        <p class="pitfall-note" data-switch="<%- pitfall.name %>" role="status"
          <% if (pitfall.isOn() === pitfall.correct) { %>hidden<% } %>><%- pitfall.note %></p>
      <% }) %>
    </fieldset>
  <% } %>
  <ol class="exchanges"></ol>
  <p class="exchanges-empty"><%- emptyText %></p>
`);
