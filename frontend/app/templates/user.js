// Who is logged in. Logging out is a real form: `POST /logout`, then Flask
// redirects.
const _ = require('underscore');

module.exports = _.template(`
  <% if (username) { %>
    <span>Logged in as <strong id="current-user"><%- username %></strong></span>
    <form id="logout" method="post" action="/logout">
      <button type="submit">Log out</button>
    </form>
  <% } else { %>
    <a class="login-link" href="<%- loginUrl %>">Log in</a>
  <% } %>
`);
