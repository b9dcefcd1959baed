// Who is logged in. Logging out is a real form: `POST /logout`, then Flask
// redirects.
const _ = require('underscore');

module.exports = _.template(`
  <span>Logged in as <strong id="current-user"><%- username %></strong></span>
  <form id="logout" method="post" action="/logout">
    <button type="submit">Log out</button>
  </form>
`);
