// The Portcullis policy language (see LANGUAGE.md). Error reporting and recovery live in the compiler's
// io.portcullis.syntax package, so this file stays free of actions.
grammar Policy;

// ---------------------------------------------------------------- parser

file        : topItem* EOF ;
packetOnly  : packet EOF ;

topItem     : importStmt | networkDef | serviceDef | policyDef | guardDef ;

importStmt  : IMPORT STRING SEMI ;
networkDef  : NETWORK NAME ASSIGN addrExpr SEMI ;
serviceDef  : SERVICE NAME ASSIGN serviceList SEMI ;

serviceList : serviceItem | LBRACE serviceItem (COMMA serviceItem)* RBRACE ;
serviceItem : (TCP | UDP) portList      # tcpUdpService
            | (ICMP | ICMPV6) icmpSpec? # icmpService
            | PROTO NUMBER              # protoService
            | NAME                      # serviceRef
            ;

icmpSpec    : TYPE icmpList (CODE icmpValue)? ;
icmpList    : icmpValue | LBRACE icmpValue (COMMA icmpValue)* RBRACE ;
icmpValue   : NUMBER | NAME ;

addrExpr    : addrList (EXCEPT addrList)? ;
addrList    : addrItem | LBRACE addrItem (COMMA addrItem)* RBRACE ;
addrItem    : DOTTED | IPV6 | NAME | ANY | ANY4 | ANY6 ;

portList    : portRange | LBRACE portRange (COMMA portRange)* RBRACE ;
portRange   : NUMBER (DASH NUMBER)? ;

policyDef   : POLICY NAME (ON target)? LBRACE policyItem* RBRACE ;
target      : XDP | TC (INGRESS | EGRESS) | CGROUP (INGRESS | EGRESS) ;

guardDef    : GUARD NAME LBRACE assertStmt* RBRACE ;

policyItem  : defaultStmt | nonIpStmt | ruleStmt | waiveStmt | expectStmt | assertStmt ;
defaultStmt : DEFAULT action SEMI ;
nonIpStmt   : NON_IP action SEMI ;
ruleStmt    : label? action match SEMI ;
label       : NAME COLON ;
waiveStmt   : WAIVE word STRING (UNTIL DATE)? SEMI ;
expectStmt  : EXPECT action packet SEMI ;
assertStmt  : ASSERT action match SEMI ;
action      : ALLOW | DENY ;

// LANGUAGE.md writes the state and the ICMP type both right after the protocol (`tcp established from ...`,
// `icmp type echo-request from ...`) and at the end of the match; either place is accepted, each at most once.
match       : proto? qualifier* (FROM addrExpr (PORT portList)?)? (TO addrExpr (PORT portList)?)? qualifier* ;
qualifier   : state | icmpSpec ;
proto       : TCP | UDP | ICMP | ICMPV6 | PROTO NUMBER | NAME ;
state       : ESTABLISHED | NEW ;

packet      : packetProto endpoint ARROW endpoint (FLAGS flagList)? icmpSpec? FRAGMENT? ;
packetProto : TCP | UDP | ICMP | ICMPV6 | PROTO NUMBER ;
endpoint    : DOTTED (COLON NUMBER)?
            | LBRACK IPV6 RBRACK (COLON NUMBER)?
            | IPV6
            ;
flagList    : NAME | LBRACE (NAME (COMMA NAME)*)? RBRACE ;

// Finding codes are names, but several of them are also keywords (default, expect, assert, guard).
word        : NAME | DEFAULT | EXPECT | ASSERT | GUARD | IMPORT | NETWORK | SERVICE | POLICY | ALLOW | DENY ;

// ---------------------------------------------------------------- lexer

IMPORT      : 'import' ;
NETWORK     : 'network' ;
SERVICE     : 'service' ;
POLICY      : 'policy' ;
GUARD       : 'guard' ;
ON          : 'on' ;
XDP         : 'xdp' ;
TC          : 'tc' ;
CGROUP      : 'cgroup' ;
INGRESS     : 'ingress' ;
EGRESS      : 'egress' ;
DEFAULT     : 'default' ;
NON_IP      : 'non-ip' ;
ALLOW       : 'allow' ;
DENY        : 'deny' ;
WAIVE       : 'waive' ;
UNTIL       : 'until' ;
EXPECT      : 'expect' ;
ASSERT      : 'assert' ;
FROM        : 'from' ;
TO          : 'to' ;
PORT        : 'port' ;
EXCEPT      : 'except' ;
ESTABLISHED : 'established' ;
NEW         : 'new' ;
TYPE        : 'type' ;
CODE        : 'code' ;
TCP         : 'tcp' ;
UDP         : 'udp' ;
ICMP        : 'icmp' ;
ICMPV6      : 'icmpv6' ;
PROTO       : 'proto' ;
FLAGS       : 'flags' ;
FRAGMENT    : 'fragment' ;
ANY         : 'any' ;
ANY4        : 'any4' ;
ANY6        : 'any6' ;

// Loose on purpose: the compiler validates addresses and dates and reports bad-address / bad-date with a span,
// which reads better than a lexer error. IPv6 needs two colons, so `name:` stays a label.
DATE        : DIGIT+ '-' DIGIT+ '-' DIGIT+ ;
DOTTED      : DIGIT+ ('.' DIGIT+)+ ('/' DIGIT+)? ;
IPV6        : HEX* ':' HEX* ':' (HEX | ':')* ('.' DIGIT+)* ('/' DIGIT+)? ;
NUMBER      : DIGIT+ ;
NAME        : [a-zA-Z_] [a-zA-Z0-9_-]* ;
STRING      : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;

ARROW       : '->' ;
DASH        : '-' ;
SEMI        : ';' ;
COLON       : ':' ;
COMMA       : ',' ;
ASSIGN      : '=' ;
LBRACE      : '{' ;
RBRACE      : '}' ;
LBRACK      : '[' ;
RBRACK      : ']' ;

// Skipped, not hidden: nothing reads them, and on a large file a token object per blank run doubles the lexer's heap.
COMMENT     : '#' ~[\r\n]* -> skip ;
WS          : [ \t\r\n\f]+ -> skip ;

// Never a lexer error: bad text becomes a token on its own channel that the compiler reports once.
UNTERMINATED_STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* ('\\')? -> channel(2) ;
BAD_CHAR    : . -> channel(2) ;

fragment DIGIT : [0-9] ;
fragment HEX   : [0-9a-fA-F] ;
