"""Desktop notices for missing Python packages: the message bar and the Plugin Manager.

The Plugin Manager (QGIS's ``pyplugin_installer``) shows, for an installed plugin whose
metadata has ``error == "dependent"``, a red box "This plugin requires a missing module:
<error_details>" and lists it under *Invalid*. It computes that metadata itself from
metadata.txt only (``Plugins.getInstalledPlugin``, on every rescan), so the plugin marks its
own entry: in the cached metadata now, and in every later rescan.
"""

from __future__ import annotations

import html

from qgis.core import Qgis
from qgis.PyQt.QtCore import QCoreApplication

ERROR_KIND = "dependent"  # the Plugin Manager's wording: "requires a missing module"


def tr(text: str) -> str:
    return QCoreApplication.translate("HotBlocking", text)


def show_in_message_bar(iface, message: str) -> None:
    """A persistent message: its first sentence, with the whole text behind "Show more"."""
    headline = message.split("\n", 1)[0]
    iface.messageBar().pushMessage(tr("Hot Blocking"), headline, message, Qgis.Critical, 0)


def mark_in_plugin_manager(plugin_key: str, message: str):
    """Show ``message`` as the plugin's error in the Plugin Manager; returns an undo callable."""
    try:
        from pyplugin_installer.installer_data import plugins
    except ImportError:  # no Plugin Manager (e.g. a QGIS without Python plugin support)
        return lambda: None
    details = html.escape(message).replace("\n", "<br/>")

    def mark(plugin: dict) -> dict:
        if not plugin.get("error"):  # a metadata error the manager found itself comes first
            plugin.update(error=ERROR_KIND, error_details=details)
        return plugin

    previous = vars(plugins).get("getInstalledPlugin")  # None: the class's own method
    scan = plugins.getInstalledPlugin

    def get_installed_plugin(key, path, readOnly):
        plugin = scan(key, path, readOnly)
        return mark(plugin) if key == plugin_key else plugin

    plugins.getInstalledPlugin = get_installed_plugin
    for cache in (plugins.localCache, plugins.mPlugins):
        if plugin_key in cache:
            mark(cache[plugin_key])

    def unmark() -> None:
        if vars(plugins).get("getInstalledPlugin") is get_installed_plugin:
            if previous is None:
                del plugins.getInstalledPlugin
            else:
                plugins.getInstalledPlugin = previous
        for cache in (plugins.localCache, plugins.mPlugins):
            entry = cache.get(plugin_key)
            if entry is not None and entry.get("error_details") == details:
                entry.update(error="", error_details="")

    return unmark
