// The live view's only script: switch tabs in place, and re-render the tables from /fragments/live every
// LiveView:RefreshInterval without reloading the page. Without it the page still works, updated on reload.
(() => {
    const live = document.getElementById("live");
    if (!live) return;
    const content = document.getElementById("live-content");
    const status = document.getElementById("live-status");
    const interval = Number(live.dataset.refreshMs) || 5000;

    // Marks the tab in the freshly rendered tables; the URL is left alone, so a refresh never touches the history
    // while a filter's form submission is navigating away.
    const show = (tab) => {
        live.dataset.tab = tab;
        for (const button of live.querySelectorAll("[data-show]")) {
            button.setAttribute("aria-selected", String(button.dataset.show === tab));
        }
    };

    const select = (tab) => {
        show(tab);
        const url = new URL(location.href);
        url.searchParams.set("tab", tab);
        history.replaceState(null, "", url);
        const hidden = document.querySelector(".filter input[name=tab]");
        if (hidden) hidden.value = tab;
    };

    live.addEventListener("click", (event) => {
        const button = event.target.closest("[data-show]");
        if (button) select(button.dataset.show);
    });
    // Once a filter submits, the page is on its way out: no more refreshes.
    let leaving = false;
    for (const auto of document.querySelectorAll("[data-autosubmit]")) {
        auto.addEventListener("change", () => {
            leaving = true;
            auto.form.submit();
        });
    }

    const refresh = async () => {
        if (leaving) return;
        try {
            const response = await fetch(live.dataset.fragment, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" });
            if (response.status === 401) {
                location.assign("signin?ReturnUrl=" + encodeURIComponent(location.pathname + location.search));
                return;
            }
            if (!response.ok) throw new Error(String(response.status));
            const html = await response.text();
            if (leaving) return;
            content.innerHTML = html;
            show(live.dataset.tab);
            status.textContent = "Updated " + new Date().toISOString().slice(11, 19) + " UTC";
            status.classList.remove("stale");
        } catch (error) {
            status.textContent = "Not updating (" + error.message + "); retrying";
            status.classList.add("stale");
        }
        setTimeout(refresh, interval);
    };

    select(live.dataset.tab);
    setTimeout(refresh, interval);
})();
