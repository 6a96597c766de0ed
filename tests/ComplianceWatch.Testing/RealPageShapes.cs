namespace ComplianceWatch.Testing;

/// <summary>
/// Pages shaped like the real ones (structure copied from Open Terms Archive's captures of AI providers' legal pages,
/// ODC-By 1.0, and from the interstitials CDNs serve): a document carrying Cloudflare's detection script, the
/// challenge pages of Cloudflare, Akamai, DataDome, HUMAN (PerimeterX) and Imperva, and error pages served with 200.
/// </summary>
public static class RealPageShapes
{
    /// <summary>The script Cloudflare injects into every HTML document of a zone with bot management (openai.com, x.ai, perplexity.ai).</summary>
    public const string CloudflareJsdScript =
        "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){var d=b.createElement('script');" +
        "d.innerHTML=\"window.__CF$cv$params={r:'970d4d0f2f9ee688',t:'MTc1NTQ3NzAxMS4wMDAwMDA='};var a=document.createElement('script');" +
        "a.nonce='';a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';document.getElementsByTagName('head')[0].appendChild(a);\";" +
        "b.getElementsByTagName('head')[0].appendChild(d)}}if(document.body){var a=document.createElement('iframe');a.height=1;a.width=1;" +
        "a.style.position='absolute';a.style.top=0;a.style.left=0;a.style.border='none';a.style.visibility='hidden';document.body.appendChild(a);" +
        "if('loading'!==document.readyState)c();else if(window.addEventListener)document.addEventListener('DOMContentLoaded',c);}})();</script>" +
        "<iframe height=\"1\" width=\"1\" style=\"position: absolute; top: 0px; left: 0px; border: none; visibility: hidden;\"></iframe>";

    /// <summary>A policy page as openai.com serves it: a Next.js document whose <c>main</c> holds the text, the jsd script at the end of the body.</summary>
    public static string OpenAiStyleDocument(string paragraph = "These Terms govern your use of connectors and actions.") =>
        "<!DOCTYPE html><html lang=\"en-US\"><head><meta charSet=\"utf-8\"/><title>Service terms | OpenAI</title>" +
        "<script src=\"/_next/static/chunks/webpack-1b3c.js\" async=\"\"></script></head><body><div id=\"__next\">" +
        "<header><nav><a href=\"/\">OpenAI</a></nav></header><main class=\"@container\"><div class=\"sr-only\">Skip to main content</div>" +
        "<h1 class=\"text-h3\">Connectors and Actions Terms</h1><p class=\"mb-sm\">Updated: August 5, 2025</p>" +
        $"<div class=\"prose\"><p>{paragraph}</p><p>By using a connector you agree to the third party's terms as well as these terms, " +
        "which apply to how OpenAI accesses the data you choose to share.</p></div></main><footer>© 2025 OpenAI</footer></div>" +
        "<script>self.__next_f.push([1,\"gpt-5-thinking\"])</script>" + CloudflareJsdScript + "</body></html>";

    /// <summary>Cloudflare's managed challenge (403, <c>cf-mitigated: challenge</c>).</summary>
    public const string CloudflareManagedChallenge =
        "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">" +
        "<meta name=\"robots\" content=\"noindex,nofollow\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">" +
        "<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}</style><meta http-equiv=\"refresh\" content=\"390\"></head>" +
        "<body class=\"no-js\"><div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\"><noscript><div id=\"challenge-error-title\">" +
        "<div class=\"h2\"><span class=\"icon-wrapper\"><div class=\"heading-icon warning-icon\"></div></span>" +
        "<span id=\"challenge-error-text\">Enable JavaScript and cookies to continue</span></div></div></noscript></div></div>" +
        "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: \"openai.com\",cType: 'managed',cRay: '8a1b2c3d4e5f6789',cH: 'abc'," +
        "cUPMDTk: \"\\/policies\\/?__cf_chl_tk=xyz\"};var cpo = document.createElement('script');" +
        "cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6789';" +
        "window._cf_chl_opt.cOgUHash = location.hash;document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>";

    /// <summary>Cloudflare's older JavaScript challenge (503, a <c>challenge-form</c>, no header).</summary>
    public const string CloudflareJsChallenge =
        "<!DOCTYPE HTML><html lang=\"en-US\"><head><meta charset=\"UTF-8\" /><title>Just a moment...</title></head><body>" +
        "<table width=\"100%\" height=\"100%\" cellpadding=\"20\"><tr><td align=\"center\" valign=\"middle\"><div class=\"cf-browser-verification cf-im-under-attack\">" +
        "<noscript><h1 data-translate=\"turn_on_js\" style=\"color:#bd2426;\">Please turn JavaScript on and reload the page.</h1></noscript>" +
        "<div id=\"cf-content\"><h1>Checking your browser before accessing example.com.</h1><p>This process is automatic.</p></div>" +
        "<form class=\"challenge-form\" id=\"challenge-form\" action=\"/?__cf_chl_jschl_tk__=pmd_abc\" method=\"POST\">" +
        "<input type=\"hidden\" name=\"r\" value=\"abc\"/></form></div><div class=\"attribution\">DDoS protection by Cloudflare<br />Ray ID: 6a1b2c3d4e5f</div>" +
        "</td></tr></table></body></html>";

    /// <summary>A Turnstile page served with 200 in front of the document.</summary>
    public const string CloudflareTurnstilePage =
        "<!DOCTYPE html><html><head><title>Verifying you are human</title>" +
        "<script src=\"https://challenges.cloudflare.com/turnstile/v0/api.js\" async defer></script></head><body>" +
        "<h1>www.example.com</h1><p>Verify you are human by completing the action below.</p>" +
        "<form method=\"POST\"><div class=\"cf-turnstile\" data-sitekey=\"0x4AAAAAAAB\"></div></form></body></html>";

    /// <summary>Akamai's edge "Access Denied" (403).</summary>
    public const string AkamaiAccessDenied =
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don't have permission to access " +
        "\"http&#58;&#47;&#47;www&#46;example&#46;com&#47;legal&#47;terms\" on this server.<P>\nReference&#32;&#35;18&#46;5f2c1302&#46;1718000000&#46;1a2b3c\n" +
        "<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;5f2c1302&#46;1718000000&#46;1a2b3c</P>\n</BODY>\n</HTML>\n";

    /// <summary>Akamai Bot Manager's challenge page (served with 200 or 428).</summary>
    public const string AkamaiBotManagerChallenge =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Challenge Validation</title>" +
        "<link rel=\"stylesheet\" href=\"/_sec/cp_challenge/sec-4-4.css\"></head><body><div id=\"sec-container\">" +
        "<div id=\"sec-if-container\"><iframe id=\"sec-cpt-if\" class=\"crypto\" data-key=\"\" data-duration=\"5\" src=\"/_sec/cp_challenge/ak-challenge-4-4.htm\"></iframe></div>" +
        "<div id=\"sec-text-container\"><p>Powered and protected by Akamai</p></div></div></body></html>";

    /// <summary>DataDome's captcha (403, <c>x-datadome: protected</c>).</summary>
    public const string DataDomeCaptcha =
        "<html><head><title>example.com</title><style>#cmsg{animation: A 1.5s;}</style></head><body style=\"margin:0\">" +
        "<p id=\"cmsg\">Please enable JS and disable any ad blocker</p>" +
        "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'ABCDEF','t':'fe','s':43337,'e':'abc','host':'geo.captcha-delivery.com'}</script>" +
        "<script data-cfasync=\"false\" src=\"https://ct.captcha-delivery.com/c.js\"></script></body></html>";

    /// <summary>HUMAN (PerimeterX) "Press &amp; Hold" block page (403).</summary>
    public const string PerimeterXBlock =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access to this page has been denied</title></head><body>" +
        "<div class=\"px-container\"><div class=\"px-captcha-container\"><div class=\"px-captcha-header\">Before we continue...</div>" +
        "<div class=\"px-captcha-message\">Press &amp; Hold to confirm you are a human (and not a bot).</div><div id=\"px-captcha\"></div></div></div>" +
        "<script>window._pxAppId = 'PXabc123';window._pxJsClientSrc = '/abc123/init.js';window._pxHostUrl = '/abc123/xhr';</script>" +
        "<script src=\"https://captcha.px-cdn.net/PXabc123/captcha.js?a=c&m=0\"></script></body></html>";

    /// <summary>Imperva's interstitial (200, an almost empty page around an <c>_Incapsula_Resource</c> script).</summary>
    public const string ImpervaInterstitial =
        "<html style=\"height:100%\"><head><META NAME=\"ROBOTS\" CONTENT=\"NOINDEX, NOFOLLOW\"><meta name=\"format-detection\" content=\"telephone=no\">" +
        "<script type=\"text/javascript\" src=\"/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3\"></script></head>" +
        "<body style=\"margin:0px;height:100%\"><iframe id=\"main-iframe\" src=\"/_Incapsula_Resource?CWUDNSAI=23&xinfo=5-1234\" frameborder=0 width=\"100%\" height=\"100%\">" +
        "Request unsuccessful. Incapsula incident ID: 1234-5678</iframe></body></html>";

    /// <summary>A long terms page with a Turnstile widget in its contact form: a document, not a challenge.</summary>
    public static string DocumentWithTurnstileForm() =>
        "<html><head><title>Terms of Service</title><script src=\"https://challenges.cloudflare.com/turnstile/v0/api.js\" async defer></script></head><body>" +
        "<main><h1>Terms of Service</h1>" + string.Concat(Enumerable.Range(1, 12).Select(i =>
            $"<h2>Section {i}</h2><p>You agree that section {i} of these terms governs your use of the services, including any content you submit, " +
            "and that we may suspend accounts that breach these terms after notice where the law requires it.</p>")) +
        "</main><form action=\"/contact\" method=\"POST\"><div class=\"cf-turnstile\" data-sitekey=\"0x4AAAAAAAB\"></div></form></body></html>";

    /// <summary>Meta's error page as mbasic.facebook.com serves it with 200 inside <c>#root</c>.</summary>
    public const string MetaErrorPage =
        "<!DOCTYPE html><html><head><title>Error</title></head><body><div id=\"viewport\"><div id=\"objects_container\"><div id=\"root\" role=\"main\">" +
        "<div class=\"k\"><img src=\"https://static.xx.fbcdn.net/rsrc.php/error.png\" /></div><div class=\"bi\"><span class=\"bj\">This page isn’t available</span></div>" +
        "<div class=\"bl\">The link you followed may be broken, or the page may have been removed.</div>" +
        "<div><a href=\"/home.php\">Go to News Feed</a></div></div></div></div></body></html>";

    /// <summary>Meta's other outage text, served with 200 inside <c>#root</c>.</summary>
    public const string MetaUnexpectedError =
        "<!DOCTYPE html><html><head><title>Error</title></head><body><div id=\"root\" role=\"main\">" +
        "<div class=\"bi\"><span class=\"bj\">Sorry, something went wrong.</span></div>" +
        "<div class=\"bl\">An unexpected error has occurred. Please try again later.</div></div></body></html>";

    /// <summary>A Chinese soft 404 (200) whose selected element says the page does not exist.</summary>
    public const string ChineseSoft404 =
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>百度隐私政策</title></head><body>" +
        "<div class=\"Policy\"><div class=\"error\"><p>抱歉，页面不存在</p><a href=\"/\">返回首页</a></div></div></body></html>";

    /// <summary>Meta's printable cookies policy as mbasic.facebook.com serves it: the document inside <c>#root</c>.</summary>
    public static string MetaPolicyDocument(string effective = "Effective from 12 December 2023", int paragraphs = 4) =>
        "<!DOCTYPE html><html><head><title>Cookies Policy</title></head><body tabindex=\"0\" class=\"b c d e f\"><div class=\"g\"><div id=\"viewport\">" +
        "<div id=\"objects_container\"><div class=\"f\" id=\"root\" role=\"main\"><div class=\"t\" id=\"0_intro\"><a id=\"1\"></a>" +
        "<h1 class=\"u n\">What are cookies and what does this policy cover?</h1>" + $"<p class=\"v\">{effective}</p>" +
        string.Concat(Enumerable.Range(1, paragraphs).Select(i =>
            $"<p class=\"w\">Cookies are small pieces of text used to store information in web browsers ({i}). Cookies are used to store and receive " +
            "identifiers and other information on computers, phones and other devices. Other technologies, including data that we store on your web " +
            "browser or device, are used for similar purposes.</p>")) +
        "</div></div></div></div></div></body></html>";
}
