// One item. The title is the user's text: always `<%- %>` (escaped), never
// `<%= %>`, or a title such as `<img src=x onerror=…>` would run.
const _ = require('underscore');

module.exports = _.template(`
  <input class="item-toggle" type="checkbox" aria-label="Done"
    <% if (done) { %>checked<% } %> <% if (!editable) { %>disabled<% } %>>
  <span class="item-title"><%- title %></span>
  <% if (editable) { %>
    <input class="item-title-input" value="<%- title %>" aria-label="Title">
  <% } %>
  <time class="item-created" datetime="<%- createdAt %>"><%- createdText %></time>
  <% if (editable) { %>
    <button type="button" class="item-edit">Edit</button>
    <button type="button" class="item-delete">Delete</button>
  <% } %>
  <p class="field-error" role="alert" hidden></p>
`);
