"""Capture the SOAP requests python3-winrm (pywinrm 0.3.0) builds.

Run in this directory: /usr/bin/python3 capture_pywinrm.py. pywinrm's
Protocol.send_message is replaced by a function that records each request
and answers with a canned response, so no server is needed; the requests
are written to pywinrm_N_OPERATION.xml (read by soapscan_test.go).
"""
import re
import sys

import winrm
from winrm.protocol import Protocol
msgs = []
resp = {
 'Create': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Body><x:ResourceCreated xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"><w:ReferenceParameters><w:SelectorSet><w:Selector Name="ShellId">11111111-1111-4111-8111-111111111111</w:Selector></w:SelectorSet></w:ReferenceParameters></x:ResourceCreated></s:Body></s:Envelope>',
 'Command': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body><rsp:CommandResponse><rsp:CommandId>22222222-2222-4222-8222-222222222222</rsp:CommandId></rsp:CommandResponse></s:Body></s:Envelope>',
 'Receive': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="22222222-2222-4222-8222-222222222222">aGk=</rsp:Stream><rsp:CommandState CommandId="22222222-2222-4222-8222-222222222222" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse></s:Body></s:Envelope>',
 'Signal': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:RelatesTo>MSGID</a:RelatesTo></s:Header><s:Body><rsp:SignalResponse/></s:Body></s:Envelope>',
 'Delete': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>MSGID</a:RelatesTo></s:Header><s:Body/></s:Envelope>',
 'Send': '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:SendResponse xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/></s:Body></s:Envelope>',
}
def send(self, message):
    act = message.split('Action')[1]
    for k in resp:
        if act.rstrip('<>/ ="a:').endswith(k) or ('/'+k+'<') in act:
            msgs.append((k, message)); mid=re.search(r'MessageID>([^<]*)<', message).group(1); return resp[k].replace('MSGID', mid)
    raise Exception('unknown ' + act)
Protocol.send_message = send
p = Protocol('http://127.0.0.1:5985/wsman', username='vagrant', password='vagrant', transport='plaintext')
sh = p.open_shell(codepage=65001)
cid = p.run_command(sh, 'netsh', ['advfirewall', 'firewall', 'show', 'rule', 'name="a & b <c>"'])
p.get_command_output(sh, cid)
cid2 = p.run_command(sh, 'echo "x" & ver', skip_cmd_shell=True) if 'skip_cmd_shell' in Protocol.run_command.__code__.co_varnames else None
if hasattr(p, 'send_command_input'):
    try: p.send_command_input(sh, cid, b'hello\r\n', end=True)
    except Exception as e: print('send', e, file=sys.stderr)
p.cleanup_command(sh, cid)
p.close_shell(sh)
for n, (k, m) in enumerate(msgs):
    open('pywinrm_%d_%s.xml' % (n, k.lower()), 'w').write(m)
print([k for k,_ in msgs])
