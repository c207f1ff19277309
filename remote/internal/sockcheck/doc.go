// Package sockcheck tells whether an idle keep-alive connection can carry
// another request: the peer has not closed it and sent nothing unsolicited.
// remote's own HTTP exchange and remote/ntlmhttp check a connection with
// Idle before reusing it, so that a request is never written to a
// connection known to be dead.
package sockcheck
