def log = new File(basedir, 'build.log').text
assert log =~ /\[ERROR\] org-guards\/no-rdp\.policy:3: guard: guard 'no-rdp' .* does not hold for policy 'desktops'/
assert log =~ /\[ERROR\]\s+witness: tcp 10\.8\.\d+\.\d+:\d+ -> 10\.20\.\d+\.\d+:3389 flags \{ syn \}, decided by 'rdp' \(line 4\)/
assert log =~ /Portcullis checked 1 policies and 1 guards/
assert log =~ /Portcullis check failed: 1 error, 0 warnings/
return true
