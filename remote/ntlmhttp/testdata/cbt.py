# cbt.py prints, in hex, the MsvAvChannelBindings value that pywinrm
# (requests-ntlm + ntlm-auth) puts in its NTLM AUTHENTICATE message for the
# DER certificate given on stdin: MD5 of the GSS channel bindings structure
# whose application data is "tls-server-end-point:" + the RFC 5929 hash.
# Used by cbt_test.go to check ntlmhttp's channel bindings independently.
import base64
import hashlib
import sys

from ntlm_auth.gss_channel_bindings import GssChannelBindingsStruct
from requests_ntlm.requests_ntlm import _get_certificate_hash

cert_hash = _get_certificate_hash(sys.stdin.buffer.read())
cbt = GssChannelBindingsStruct()
cbt[cbt.APPLICATION_DATA] = b"tls-server-end-point:" + base64.b16decode(cert_hash)
print(hashlib.md5(cbt.get_data()).hexdigest())
