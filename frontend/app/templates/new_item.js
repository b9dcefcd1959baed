const _ = require('underscore');

module.exports = _.template(`
  <label for="new-item-title">New item</label>
  <input id="new-item-title" name="title" placeholder="What needs doing?" autocomplete="off">
  <button type="submit">Add</button>
  <p class="field-error" role="alert" hidden></p>
`);
