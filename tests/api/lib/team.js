'use strict';
// One signed-in user of every role for every project partner (made with
// create-user, signed in over HTTP): team[role][partner].

const { ROLES, PARTNERS, newUser } = require('./users');

async function newTeam(server, prefix = 'tm') {
  const team = {};
  const jobs = [];
  for (const role of ROLES) {
    team[role] = {};
    for (const partner of PARTNERS) {
      jobs.push(newUser(server, { role, partner, prefix: `${prefix}${role.slice(0, 3)}${partner.slice(0, 2)}` })
        .then((u) => { team[role][partner] = u; }));
    }
  }
  await Promise.all(jobs);
  return team;
}

function otherPartner(partner) {
  return PARTNERS.find((p) => p !== partner);
}

module.exports = { newTeam, otherPartner, ROLES, PARTNERS };
