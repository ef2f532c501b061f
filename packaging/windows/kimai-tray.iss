; Inno Setup script for kimai-tray. build.ps1 passes /DAppVersion=<version>.
; Installs the PyInstaller one-dir bundle per user (no admin needed), with a Start menu entry,
; an optional "start at login" task and the standard uninstaller.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6F0B7E1C-3C1A-4E8B-9B0F-0A6B2C1D9E41}
AppName=Kimai Tray
AppVersion={#AppVersion}
AppPublisher=kimai-tray developers
AppPublisherURL=https://github.com/kimai/kimai-tray
DefaultDirName={localappdata}\Programs\kimai-tray
DefaultGroupName=Kimai Tray
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=kimai-tray-{#AppVersion}-setup
SetupIconFile=..\..\build\kimai-tray.ico
UninstallDisplayIcon={app}\kimai-tray.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; Restart Manager closes a running kimai-tray before files are replaced or removed.
CloseApplications=yes
ArchitecturesInstallIn64BitMode=x64compatible
ArchitecturesAllowed=x64compatible

[Tasks]
Name: "autostart"; Description: "Start Kimai Tray when I log in"; Flags: unchecked

[Files]
Source: "..\..\dist\kimai-tray\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Kimai Tray"; Filename: "{app}\kimai-tray.exe"
Name: "{group}\Uninstall Kimai Tray"; Filename: "{uninstallexe}"

[Registry]
; The same Run key the app's own autostart toggle uses, so either side can switch it off.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; \
  ValueName: "kimai-tray"; ValueData: """{app}\kimai-tray.exe"""; Tasks: autostart; \
  Flags: uninsdeletevalue

[Run]
Filename: "{app}\kimai-tray.exe"; Description: "Launch Kimai Tray"; \
  Flags: nowait postinstall skipifsilent
