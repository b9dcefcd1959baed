// The page frame: step banner, user slot, main slot. The model is the `Step`.
const _ = require('underscore');

module.exports = _.template(`
  <header class="site-header">
    <h1 id="step-banner">Step <%- number %> · <%- title %></h1>
    <div id="user"></div>
  </header>
  <main id="main"></main>
`);
