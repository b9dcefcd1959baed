const _ = require('underscore');

module.exports = _.template(`
  <header class="site-header">
    <h1 id="step-banner">Step <%- number %> · <%- title %></h1>
    <div class="user-region"></div>
  </header>
  <main>
    <div class="form-region"></div>
    <div class="main-region"></div>
  </main>
  <div class="conversation-region"></div>
`);
