// One request and its answer. Bodies hold the user's text: always `<%- %>`.
// The first line is one line of markup so that its text reads
// `PUT /api/items/6b07…5c99 200 OK 12 ms`.
const _ = require('underscore');

module.exports = _.template(`
  <details>
    <summary class="exchange-line"><span class="exchange-method"><%- method %></span> <span class="exchange-url" title="<%- url %>"><%- shortUrl %></span> <span class="exchange-status exchange-<%- outcome %>"><%- statusText %></span><% if (override) { %> <span class="exchange-override">X-HTTP-Method-Override: <%- override %></span><% } %><% if (time) { %> <span class="exchange-time"><%- time %></span><% } %></summary>
    <dl class="exchange-details">
      <dt>URL</dt>
      <dd><code><%- url %></code></dd>
      <% _.each(headers, (value, name) => { %>
        <dt><%- name %></dt>
        <dd><code><%- value %></code></dd>
      <% }) %>
      <dt>Request body</dt>
      <dd><pre class="exchange-request"><%- requestBody %></pre></dd>
      <dt>Response body</dt>
      <dd><pre class="exchange-response"><%- responseBody %></pre></dd>
    </dl>
  </details>
`);
