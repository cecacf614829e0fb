'use strict';
// One signed-in user of every role for every project partner (made with
// create-user, signed in over HTTP): team[role][partner].

const { ROLES, PARTNERS, newUser } = require('./users');

async function newTeam(server, prefix = 'tm') {
  const team = {};
  const wanted = [];
  for (const role of ROLES) {
    team[role] = {};
    for (const partner of PARTNERS) wanted.push({ role, partner });
  }
  // A few at a time: each is an argon2id hash in create-user and one in the
  // sign-in, and other test files start their servers at the same moment.
  const worker = async () => {
    for (let job = wanted.shift(); job; job = wanted.shift()) {
      const { role, partner } = job;
      team[role][partner] = await newUser(server, { role, partner, prefix: `${prefix}${role.slice(0, 3)}${partner.slice(0, 2)}` });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return team;
}

function otherPartner(partner) {
  return PARTNERS.find((p) => p !== partner);
}

module.exports = { newTeam, otherPartner, ROLES, PARTNERS };
