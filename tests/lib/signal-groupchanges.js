'use strict';
// What Signal's groups server does with a group change (PATCH /v2/groups)
// that @signalapp/mock-server 27.0.0 does not (src/server/group.js
// ServerGroup.modify). It wraps that method; the mock's own code still
// checks the revision (409 unless version = current + 1, as production's
// GroupsController) and the auth (http.js groupAuthAndFetch verifies the
// credential presentation), and applies title and timer.
//
// 1. The description: the mock drops modifyDescription (it neither checks
//    nor applies it nor puts it into the signed change). Production checks
//    the attributes access and applies it: signalapp/storage-service
//    groups/GroupChangeApplicator.java applyModifyDescription
//    (GroupAuth.isModifyAttributesAllowed, else ForbiddenException), called
//    from controllers/GroupsController.java when actions.hasModifyDescription().
// 2. An empty title: production refuses it (applyModifyTitle: an empty
//    title is a BadRequestException); the mock would store it.
//
//   const changes = new GroupChanges(server);
//   changes.conflicts      // how many changes the mock answered 409
//   changes.applied        // [{ title, description, timer }] which actions
//                          //   each accepted change carried (booleans)
const assert = require('node:assert');
const { ServerGroup } = require('@signalapp/mock-server/src/server/group');
const { signalservice: Proto } = require('@signalapp/mock-server/protos/compiled');

const { AccessRequired } = Proto.AccessControl;
let current = null; // the GroupChanges of the running mock (one per process)

const original = ServerGroup.prototype.modify;
ServerGroup.prototype.modify = function modify(sourceAci, sourcePni, actions) {
  const desc = actions.modifyDescription;
  if (actions.modifyTitle) {
    assert.ok(actions.modifyTitle.title?.length, 'Bad Request: an empty title');
  }
  if (desc) {
    this.verifyAccess('description', this.getMember(sourceAci),
                      this.state.accessControl?.attributes ?? AccessRequired.UNKNOWN);
  }
  const res = original.call(this, sourceAci, sourcePni, actions);
  if (res.conflict) {
    if (current) current.conflicts++;
    return res;
  }
  if (current) {
    current.applied.push({ title: !!actions.modifyTitle, description: !!desc,
                           timer: !!actions.modifyDisappearingMessageTimer });
  }
  if (!desc) return res;
  // apply it and put it into the change the server signs
  const entry = this.changes.groupChanges.at(-1);
  entry.groupState.description = desc.description;
  const applied = Proto.GroupChange.Actions.decode(Buffer.from(entry.groupChange.actions));
  applied.modifyDescription = desc;
  const encoded = Proto.GroupChange.Actions.encode(applied);
  entry.groupChange = { ...entry.groupChange, actions: encoded };
  res.signedChange = { ...res.signedChange, actions: encoded,
                       serverSignature: this.zkSecret.sign(Buffer.from(encoded)).serialize() };
  return res;
};

class GroupChanges {
  constructor() {
    this.conflicts = 0;
    this.applied = [];
    current = this;
  }
}

module.exports = { GroupChanges };
