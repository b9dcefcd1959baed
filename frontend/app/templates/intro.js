const _ = require('underscore');

module.exports = _.template(`
  <p>Flask serves this page and the built front end, nothing more yet.</p>
  <p>The items API, <code>GET /api/items/</code>, arrives in step 02: this
     page will then list the items.</p>
`);
